alter table public.owners rename to people; -- expect: MS008
