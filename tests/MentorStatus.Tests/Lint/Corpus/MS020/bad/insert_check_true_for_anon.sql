create policy things_insert_anyone on public.things for insert to anon with check (true); -- expect: MS020
