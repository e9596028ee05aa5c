-- requires: 20261127170100
-- The in-app inbox is filled by the database when a certification-expiry run finishes, in the transaction
-- that ends the run, so a Supabase-only deployment (the pg_cron procedure, no .NET process) fills each
-- coordinator's inbox too. One row per notification (the inbox's key), so one per coordinator per run;
-- the dispatcher's inbox channel inserts with `on conflict (notification_id) do nothing` and so writes
-- no second row. Email and webhook stay with the dispatcher.

set lock_timeout = '5s';

create or replace function mentor_status_private.notify_coordinators_when_run_finishes()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
    perform mentor_status_private.write_run_notifications(new.id);
    insert into public.coordinator_inbox (notification_id, user_id, job_run_id, reason, mentor_ids, fallback_mentor_ids)
    select n.id, n.coordinator_user_id, n.job_run_id, 'certification_expired', n.mentor_ids, n.fallback_mentor_ids
    from public.coordinator_notifications n
    where n.job_run_id = new.id
      and pg_catalog.cardinality(n.mentor_ids) > 0
    on conflict (notification_id) do nothing;
    return null;
end;
$$;

comment on function mentor_status_private.notify_coordinators_when_run_finishes() is
    'AFTER UPDATE trigger of status_job_runs: when a certification_expiry run leaves running (succeeded, '
    'failed, abandoned), writes its coordinator notifications and their in-app inbox rows in the same '
    'transaction (one inbox row per notification), so the inbox is filled with or without the dispatcher, '
    'and the dispatcher, which delivers only runs that are no longer running, finds the outbox complete.';

revoke all on function mentor_status_private.notify_coordinators_when_run_finishes() from public, anon, authenticated, service_role;

comment on table public.coordinator_inbox is
    'The in-app notification channel: one row per coordinator and notification (the notification id is the '
    'key, so neither a redelivery nor the dispatcher after the database adds a second row). Written when a '
    'certification-expiry run finishes (trigger on status_job_runs) and by the dispatcher''s inbox channel '
    '(table owner) for any notification that has none. A coordinator reads only their own rows (RLS) and marks '
    'them read only through mark_notification_read(). In the supabase_realtime publication where that exists, '
    'so the app gets new rows live.';
