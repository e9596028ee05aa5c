create function public.thing_count() returns bigint language sql stable set search_path = pg_catalog, pg_temp
as $$ select count(*) from public.things $$;
grant all on function public.thing_count() to anon;
