create function public.count_things() returns bigint
language sql security definer
set search_path = ''
as $$ select count(*) from public.things $$;
