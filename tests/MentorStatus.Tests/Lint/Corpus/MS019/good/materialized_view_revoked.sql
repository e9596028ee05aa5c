create materialized view public.thing_totals as select count(*) as things from public.things;
revoke all on public.thing_totals from anon, authenticated;
