alter table public.things rename column name to title; -- expect: MS008
