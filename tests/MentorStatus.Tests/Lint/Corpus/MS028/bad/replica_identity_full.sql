alter table public.things replica identity full; -- expect: MS028
