create table public.gadgets (id bigint primary key, name text);
alter table public.gadgets enable row level security;
create index gadgets_name_idx on public.gadgets (name);
