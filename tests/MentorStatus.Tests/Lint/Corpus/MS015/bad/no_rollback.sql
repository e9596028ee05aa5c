-- expect: MS015 @1
create table public.gadgets (id bigint primary key);
alter table public.gadgets enable row level security;
