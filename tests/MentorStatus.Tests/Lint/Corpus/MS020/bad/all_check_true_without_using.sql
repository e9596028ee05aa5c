-- WITH CHECK (true) without USING: no row can be read, but any row can be inserted.
create policy things_insert_any on public.things for all to anon with check (true); -- expect: MS020
