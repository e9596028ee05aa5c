-- Rollback of 20261207100000_history_changed_by_time_index: alone, like the build.
drop index concurrently if exists public.peer_mentor_status_history_changed_by_changed_at_idx;
