alter table public.things add column code text not null default 'none';
