create materialized view public.thing_totals as select count(*) as things from public.things; -- expect: MS019
