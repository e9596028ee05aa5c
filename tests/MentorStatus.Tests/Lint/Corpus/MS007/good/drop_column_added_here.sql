alter table public.things add column scratch text;
alter table public.things drop column scratch;
