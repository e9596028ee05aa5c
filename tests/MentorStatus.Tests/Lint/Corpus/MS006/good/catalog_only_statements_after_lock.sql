-- Statements after the lock that only change the catalog (microseconds): not worth a warning.
alter table public.things add column note text;
comment on column public.things.note is 'A note.';
create policy things_read_own on public.things for select to authenticated using ((select auth.uid()) = owner_id);
grant select on public.things to authenticated;
