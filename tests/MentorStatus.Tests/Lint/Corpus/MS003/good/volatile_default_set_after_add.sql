alter table public.things add column token uuid;
alter table public.things alter column token set default gen_random_uuid();
