create policy things_update_all on public.things for update to authenticated using (true); -- expect: MS020
