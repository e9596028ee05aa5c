create table public.gadget (id bigint primary key);
alter table public.gadget enable row level security;
alter table public.gadget rename to gadgets;
