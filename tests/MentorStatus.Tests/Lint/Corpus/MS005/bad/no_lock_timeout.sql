alter table public.things add column note text; -- expect: MS005
