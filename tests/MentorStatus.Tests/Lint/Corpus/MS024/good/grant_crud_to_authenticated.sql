grant select, insert, update, delete on table public.things to authenticated;
