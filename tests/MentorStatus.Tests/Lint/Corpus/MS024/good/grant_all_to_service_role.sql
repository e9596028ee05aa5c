grant all on table public.things to service_role;
