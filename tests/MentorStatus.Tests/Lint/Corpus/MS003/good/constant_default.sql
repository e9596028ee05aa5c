alter table public.things add column status text not null default 'new';
