create function public.purge_things() returns void language sql set search_path = pg_catalog, pg_temp
as $$ delete from public.things $$;
