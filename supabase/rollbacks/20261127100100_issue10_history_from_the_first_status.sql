-- Rollback of 20261127100100_issue10_history_from_the_first_status.sql.
-- The initial records the migration and the trigger wrote stay: they are true history, and the table
-- is append-only.
drop trigger peer_mentors_refuse_status_without_history on public.peer_mentors;
drop trigger peer_mentors_write_initial_status on public.peer_mentors;
drop function mentor_status_private.refuse_status_without_history();
drop function mentor_status_private.write_initial_status_records();
