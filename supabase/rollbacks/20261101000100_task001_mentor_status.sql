-- Rollback of 20261101000100_task001_mentor_status: removes the status columns, the reason codes
-- and the mentor_status type. Loses every mentor's status and certification expiry.

drop table public.mentor_status_reason_codes;


alter table public.peer_mentors
    drop column certification_expires_at,
    drop column status_changed_at,
    drop column status;

drop type public.mentor_status;
