create function public.count_things() returns bigint
language sql
as $$ select count(*) from public.things $$;
