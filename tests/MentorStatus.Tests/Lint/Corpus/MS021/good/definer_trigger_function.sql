-- A trigger function cannot be called through /rpc.
create function public.things_audit() returns trigger
language plpgsql security definer set search_path = pg_catalog, pg_temp
as $$ begin return new; end $$;
