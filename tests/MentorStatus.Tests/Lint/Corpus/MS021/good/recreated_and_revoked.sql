create or replace function public.thing_total() returns bigint language sql stable security definer set search_path = pg_catalog, pg_temp
as $$ select count(*) from public.things where name is not null $$;
revoke execute on function public.thing_total() from public, anon, authenticated;
