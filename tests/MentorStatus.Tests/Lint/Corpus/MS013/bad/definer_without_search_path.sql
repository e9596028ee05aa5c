create function public.count_things() returns bigint
language sql security definer
as $$ select count(*) from public.things $$; -- expect: MS013 @1
