create schema private;
create function private.owner_of(thing_id bigint) returns uuid
language sql stable security definer set search_path = pg_catalog, public, pg_temp
as $$ select owner_id from public.things where id = thing_id $$;
