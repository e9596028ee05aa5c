create function public.reset_thing(thing_id bigint) returns integer -- expect: MS021
language sql security definer set search_path = pg_catalog, pg_temp
as $$ select 1 $$;
