create policy things_read_all on public.things for select to anon using (true); -- expect: MS020
