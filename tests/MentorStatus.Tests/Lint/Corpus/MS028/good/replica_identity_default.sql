alter table public.things replica identity default;
