-- Rollback of 20261207110000: the trigger writes the notifications only (the inbox by the dispatcher alone).
set lock_timeout = '5s';

create or replace function mentor_status_private.notify_coordinators_when_run_finishes()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
    perform mentor_status_private.write_run_notifications(new.id);
    return null;
end;
$$;

comment on function mentor_status_private.notify_coordinators_when_run_finishes() is
    'AFTER UPDATE trigger of status_job_runs: when a certification_expiry run leaves running (succeeded, '
    'failed, abandoned), writes its coordinator notifications in the same transaction, so the dispatcher, '
    'which delivers only runs that are no longer running, finds them complete.';

comment on table public.coordinator_inbox is
    'The in-app notification channel: one row per coordinator and notification (the notification id is the '
    'key, so a redelivery after a crash adds nothing). A coordinator reads only their own rows (RLS) and marks '
    'them read only through mark_notification_read(). Written by the dispatcher (table owner) only. '
    'In the supabase_realtime publication where that exists, so the app gets new rows live.';
