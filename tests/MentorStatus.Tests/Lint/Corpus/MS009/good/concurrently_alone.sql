-- Alone in its file: runs outside a transaction.
create index concurrently things_name_idx on public.things (name);
