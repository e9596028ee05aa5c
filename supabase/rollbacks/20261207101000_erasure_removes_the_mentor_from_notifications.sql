-- Rollback of 20261207101000_erasure_removes_the_mentor_from_notifications.sql: a hard delete of a mentor
-- leaves the notifications as they are again.
set lock_timeout = '5s';

drop trigger peer_mentors_erase_from_notifications on public.peer_mentors;
drop function mentor_status_private.erase_mentors_from_notifications();
