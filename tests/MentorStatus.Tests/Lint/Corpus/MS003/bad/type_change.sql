alter table public.things alter column id type integer; -- expect: MS003
