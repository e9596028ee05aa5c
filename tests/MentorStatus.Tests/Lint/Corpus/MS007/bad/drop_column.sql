alter table public.things drop column name; -- expect: MS007
