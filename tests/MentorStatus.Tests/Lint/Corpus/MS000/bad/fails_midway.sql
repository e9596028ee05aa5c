alter table public.things add column note text;
select 1 / 0; -- expect: MS000
