create table public.notes (id bigint primary key, owner_id uuid);
alter table public.notes enable row level security;
create policy notes_select on public.notes for select to authenticated using (true);
