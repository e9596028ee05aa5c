-- Rollback of 20261101000300_task002_history_timeline_index: drops the timeline index
-- CONCURRENTLY, so this statement stays alone in its file and runs without a transaction.
drop index concurrently if exists public.peer_mentor_status_history_mentor_id_changed_at_idx;
