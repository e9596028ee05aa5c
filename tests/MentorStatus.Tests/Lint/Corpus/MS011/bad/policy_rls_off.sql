create table public.notes (id bigint primary key, owner_id uuid);
revoke all on table public.notes from anon, authenticated;
create policy notes_select on public.notes for select to authenticated using (true); -- expect: MS011
