-- A stored generated column is computed and written for every existing row.
alter table public.things add column name_upper text generated always as (upper(name)) stored; -- expect: MS003
