-- No WITH CHECK: PostgreSQL checks new rows with USING, so writes are as restricted as reads (not `true`).
create policy things_own on public.things for all to authenticated using ((select auth.uid()) = owner_id);
