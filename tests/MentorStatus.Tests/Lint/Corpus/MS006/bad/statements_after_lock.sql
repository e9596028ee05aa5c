alter table public.things add column note text; -- expect: MS006
comment on column public.things.note is 'A note.';
create table public.gadgets (id bigint primary key);
alter table public.gadgets enable row level security;
