-- Rollback of 20261207120100_drop_the_due_index_the_claim_order_index_covers: the index as 20261101000500 made
-- it, built CONCURRENTLY and alone.
create index concurrently if not exists coordinator_notifications_due_idx on public.coordinator_notifications (next_attempt_at) where status in ('pending', 'sending');
