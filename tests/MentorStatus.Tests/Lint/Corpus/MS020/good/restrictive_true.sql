create policy things_restrict on public.things as restrictive for all to authenticated using (true);
