create policy things_insert_own on public.things for insert to authenticated with check ((select auth.uid()) = owner_id);
create policy things_update_own on public.things for update to authenticated
    using ((select auth.uid()) = owner_id) with check ((select auth.uid()) = owner_id);
create policy things_delete_own on public.things for delete to authenticated using ((select auth.uid()) = owner_id);
