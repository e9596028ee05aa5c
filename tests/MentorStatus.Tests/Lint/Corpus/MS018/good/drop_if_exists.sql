drop index concurrently if exists public.things_name_idx;
