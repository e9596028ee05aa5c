create policy things_read_signed_in on public.things for select to authenticated using (true);
