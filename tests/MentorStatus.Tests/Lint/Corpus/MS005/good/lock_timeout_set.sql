set lock_timeout = '5s';
alter table public.things add column note text;
