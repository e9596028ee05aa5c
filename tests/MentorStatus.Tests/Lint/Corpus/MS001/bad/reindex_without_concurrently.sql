reindex index public.things_sku_idx; -- expect: MS001
