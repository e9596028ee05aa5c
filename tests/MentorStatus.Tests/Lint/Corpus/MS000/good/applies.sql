alter table public.things add column note text;
select 1 / 1;
