create table public.closed_things (id bigint primary key, secret text);
alter table public.closed_things enable row level security;
