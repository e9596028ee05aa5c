-- requires: 20261207120000
-- coordinator_notifications_due_idx (next_attempt_at) is a prefix of coordinator_notifications_due_order_idx
-- (next_attempt_at, id) with the same predicate: every query it served, the new one serves, and each claim and
-- each recorded outcome moved a row in both. Dropped CONCURRENTLY (no lock that blocks the dispatcher), alone in
-- its file.
drop index concurrently if exists public.coordinator_notifications_due_idx;
