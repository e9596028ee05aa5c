drop index concurrently if exists public.things_owner_id_idx;
