-- The policy is reported where it is created: a later `reset all` changes search_path, and with it how
-- pg_get_expr prints uuid_nil() (extensions.uuid_nil()), which must not move the finding to that line.
create policy things_update_all on public.things for update to authenticated using (true) with check (owner_id <> uuid_nil()); -- expect: MS020
reset all;
