comment on table public.things is 'Public data: the catalogue anyone may browse without signing in.';
create policy things_read_all on public.things for select to anon using (true);
