grant select, truncate on public.things to authenticated; -- expect: MS024
