alter table public.things add constraint things_name_length check (length(name) < 100); -- expect: MS004
