-- Rollback of 20261101000500_task004_job_runs_and_notifications: drops the job entry points, the
-- recipient resolver, the outbox and the job-run table. History rows keep their job_run_id values
-- (the column has no foreign key to status_job_runs).

drop procedure mentor_status_private.run_certification_expiry_job(timestamptz, integer, interval);
drop function mentor_status_private.pause_expired_certifications(uuid, timestamptz, integer);
drop function mentor_status_private.notification_recipients(uuid[]);
drop table public.coordinator_notifications;
drop table public.status_job_runs;
