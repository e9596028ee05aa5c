drop index public.gadgets_id_idx;
