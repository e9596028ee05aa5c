drop index concurrently public.things_name_idx; -- expect: MS018
