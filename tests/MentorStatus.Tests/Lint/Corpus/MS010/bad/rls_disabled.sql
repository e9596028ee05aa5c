alter table public.things disable row level security; -- expect: MS010
