-- USING (true): every row can be read, updated and deleted, whatever WITH CHECK says about new rows.
create policy things_all on public.things for all to authenticated using (true) with check ((select auth.uid()) = owner_id); -- expect: MS020
