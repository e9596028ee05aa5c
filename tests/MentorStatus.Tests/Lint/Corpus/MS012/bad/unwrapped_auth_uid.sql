create policy things_select_own on public.things
    for select to authenticated using (owner_id = auth.uid()); -- expect: MS012 @1
