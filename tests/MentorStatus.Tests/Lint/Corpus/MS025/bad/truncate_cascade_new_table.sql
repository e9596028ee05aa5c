create table public.scratch (id bigint primary key);
alter table public.scratch enable row level security;
truncate public.scratch cascade; -- expect: MS025
