create function public.reset_thing(thing_id bigint) returns integer
language sql security definer set search_path = pg_catalog, pg_temp
as $$ select 1 $$;
revoke execute on function public.reset_thing(bigint) from public, anon, authenticated;
grant execute on function public.reset_thing(bigint) to service_role;
