create schema private;
create function private.owner_of(thing_id bigint) returns uuid -- expect: MS022
language sql stable security definer set search_path = public
as $$ select owner_id from things where id = thing_id $$;
