alter table public.things alter column name set not null; -- expect: MS002
