-- Not a definer: it runs with the caller's rights, nothing to escalate.
create function public.owner_of(thing_id bigint) returns uuid
language sql stable set search_path = ''
as $$ select owner_id from public.things where id = thing_id $$;
