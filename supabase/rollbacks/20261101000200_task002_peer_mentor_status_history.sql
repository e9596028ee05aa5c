-- Rollback of 20261101000200_task002_peer_mentor_status_history: drops the history table (and
-- with it its triggers and indexes) and the trigger functions. Loses the whole audit trail.

drop table public.peer_mentor_status_history;

drop function public.peer_mentor_status_history_refuse_truncate();
drop function public.peer_mentor_status_history_refuse_delete();
drop function public.peer_mentor_status_history_refuse_update();
