create policy things_delete_all on public.things for delete using (true); -- expect: MS020
