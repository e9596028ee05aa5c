create index things_name_idx on public.things (name); -- expect: MS001
