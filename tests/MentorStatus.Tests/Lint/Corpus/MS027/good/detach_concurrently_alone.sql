-- DETACH … CONCURRENTLY cannot run in a transaction: a file of its own.
alter table public.events detach partition public.events_2025 concurrently;
