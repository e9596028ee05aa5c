-- The API could call thing_total before; re-created here, it is this file's to fix.
create or replace function public.thing_total() returns bigint language sql stable security definer set search_path = pg_catalog, pg_temp -- expect: MS021
as $$ select count(*) from public.things where name is not null $$;
