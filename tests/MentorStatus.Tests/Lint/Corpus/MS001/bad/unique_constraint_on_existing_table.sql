alter table public.things add constraint things_name_key unique (name); -- expect: MS001
