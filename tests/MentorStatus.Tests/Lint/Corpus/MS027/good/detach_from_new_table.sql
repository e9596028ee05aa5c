create table public.readings (id bigint not null, at date not null) partition by range (at);
create table public.readings_2025 partition of public.readings for values from ('2025-01-01') to ('2026-01-01');
alter table public.readings enable row level security;
alter table public.readings_2025 enable row level security;
alter table public.readings detach partition public.readings_2025;
