create schema private;
create function private.reset_thing(thing_id bigint) returns integer
language sql security definer set search_path = pg_catalog, pg_temp
as $$ select 1 $$;
