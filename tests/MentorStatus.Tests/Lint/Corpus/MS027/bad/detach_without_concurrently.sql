alter table public.events detach partition public.events_2025; -- expect: MS027
