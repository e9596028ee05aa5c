alter table public.things add column code text not null; -- expect: MS002
