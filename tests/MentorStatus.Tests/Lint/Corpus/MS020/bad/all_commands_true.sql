create policy things_all on public.things to authenticated using (true) with check (true); -- expect: MS020
