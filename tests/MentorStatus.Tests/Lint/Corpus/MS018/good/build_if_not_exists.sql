-- Alone and idempotent: a rerun after a crash completes.
create index concurrently if not exists things_name_idx on public.things (name);
