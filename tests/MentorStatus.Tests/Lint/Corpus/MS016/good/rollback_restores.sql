create table public.gadgets (id bigint primary key);
alter table public.gadgets enable row level security;
comment on table public.gadgets is 'Gadgets.';
