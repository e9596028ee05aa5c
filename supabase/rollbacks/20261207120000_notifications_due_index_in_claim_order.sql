-- Rollback of 20261207120000_notifications_due_index_in_claim_order: alone, like the build.
drop index concurrently if exists public.coordinator_notifications_due_order_idx;
