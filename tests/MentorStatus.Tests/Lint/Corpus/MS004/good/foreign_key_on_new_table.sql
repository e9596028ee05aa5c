create table public.thing_notes (id bigint primary key, thing_id bigint not null references public.things (id), note text);
alter table public.thing_notes enable row level security;
