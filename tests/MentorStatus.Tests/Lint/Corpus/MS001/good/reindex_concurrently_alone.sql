-- REINDEX … CONCURRENTLY cannot run in a transaction: a file of its own.
reindex index concurrently public.things_sku_idx;
