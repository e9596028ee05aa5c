-- requires: 20261101000400
-- task-004: runs of the certification expiry job, the coordinator notification outbox, and the
-- set-based batch that pauses mentors whose certification expired.
--
-- Outbox design: one notification per coordinator per job run, listing their mentors. A run pauses
-- mentors in several batches, each its own transaction, and each batch writes the notifications of
-- the mentors IT paused in that same transaction (none lost, none invented). So a batch UPSERTS the
-- row (job_run_id, coordinator_user_id) and merges mentor_ids as a sorted distinct union; the
-- dispatcher sends only notifications whose run is no longer running, so a coordinator gets the
-- complete list once. A run that dies is marked failed (abandoned) by the next run, and its
-- notifications (for the mentors its committed batches really paused) are then sent too.
--
-- Everything here is for the job and the dispatcher (table owner, service_role reads): the API
-- roles get nothing, and RLS is on with no policy in case a default privilege comes back.

-- Job runs -----------------------------------------------------------------------------------------
create table public.status_job_runs (
    id uuid primary key default gen_random_uuid(),
    job_name text not null check (job_name ~ '^[a-z][a-z0-9_]{2,62}$'),
    as_of timestamptz not null,
    batch_size integer not null check (batch_size > 0),
    started_at timestamptz not null default clock_timestamp(),
    heartbeat_at timestamptz not null default clock_timestamp(),
    finished_at timestamptz null,
    outcome text not null default 'running' check (outcome in ('running', 'succeeded', 'failed')),
    mentors_paused integer not null default 0 check (mentors_paused >= 0),
    batches integer not null default 0 check (batches >= 0),
    error text null,
    constraint status_job_runs_finished_when_not_running
        check ((outcome = 'running') = (finished_at is null))
);

comment on table public.status_job_runs is
    'One row per run of an automated status job (e.g. certification_expiry): what it was asked to do, '
    'how far it got and how it ended. peer_mentor_status_history.job_run_id and '
    'coordinator_notifications.job_run_id point here.';
comment on column public.status_job_runs.job_name is
    'Which job ran, e.g. certification_expiry.';
comment on column public.status_job_runs.as_of is
    'The instant the job judged against (certifications expiring at or before it were expired). '
    'Not necessarily the wall clock: a run may be replayed for an earlier or later instant.';
comment on column public.status_job_runs.batch_size is
    'Most mentors one batch (one transaction) pauses.';
comment on column public.status_job_runs.heartbeat_at is
    'Last sign of life: set at the start and by every committed batch. A running run whose heartbeat '
    'is old was killed; the next run marks it failed (abandoned).';
comment on column public.status_job_runs.finished_at is
    'When the run ended. NULL exactly while outcome = running.';
comment on column public.status_job_runs.outcome is
    'running, succeeded or failed. A failed run may still have paused mentors in its committed batches: '
    'mentors_paused and the history rows with its job_run_id say which.';
comment on column public.status_job_runs.mentors_paused is
    'Mentors paused by the committed batches of this run (kept in step by each batch, in its transaction).';
comment on column public.status_job_runs.batches is
    'Committed batches that paused at least one mentor.';
comment on column public.status_job_runs.error is
    'Why the run failed: an error message, "cancelled", or "abandoned: ...". No personal data.';

create index status_job_runs_running_idx
    on public.status_job_runs (job_name, heartbeat_at)
    where outcome = 'running';

-- Notification outbox ------------------------------------------------------------------------------
create table public.coordinator_notifications (
    id uuid primary key default gen_random_uuid(),
    job_run_id uuid not null references public.status_job_runs (id) on delete cascade,
    coordinator_user_id uuid not null references auth.users (id) on delete cascade,
    mentor_ids uuid[] not null check (cardinality(mentor_ids) > 0),
    fallback_mentor_ids uuid[] not null default '{}',
    fell_back_to_organisation boolean generated always as (cardinality(fallback_mentor_ids) > 0) stored,
    status text not null default 'pending' check (status in ('pending', 'sending', 'sent', 'failed')),
    attempts integer not null default 0 check (attempts >= 0),
    next_attempt_at timestamptz not null default now(),
    sent_at timestamptz null,
    last_error text null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint coordinator_notifications_one_per_coordinator_per_run unique (job_run_id, coordinator_user_id),
    constraint coordinator_notifications_fallback_subset check (fallback_mentor_ids <@ mentor_ids),
    constraint coordinator_notifications_sent_at check ((status = 'sent') = (sent_at is not null))
);

comment on table public.coordinator_notifications is
    'Outbox: one notification per coordinator per job run, listing the mentors the run paused that this '
    'coordinator looks after. Written by the job in the transaction of the batch that paused the mentors '
    '(batches merge into the same row); delivered by the dispatcher once the run is no longer running.';
comment on column public.coordinator_notifications.id is
    'Identity of the notification; also the idempotency key handed to the sender, so that a receiver can '
    'drop a redelivery after a crash between sending and recording it.';
comment on column public.coordinator_notifications.coordinator_user_id is
    'The coordinator (auth user) to notify.';
comment on column public.coordinator_notifications.mentor_ids is
    'The paused mentors this coordinator is told about: sorted, distinct, merged across batches.';
comment on column public.coordinator_notifications.fallback_mentor_ids is
    'The subset of mentor_ids that reached this coordinator by the organisation fallback: none of the '
    'mentor''s chapters had an active coordinator, so every active coordinator of the organisation is told.';
comment on column public.coordinator_notifications.fell_back_to_organisation is
    'True when at least one mentor reached this coordinator by the organisation fallback (derived).';
comment on column public.coordinator_notifications.status is
    'pending (to send), sending (claimed by a dispatcher until next_attempt_at; then claimable again), '
    'sent, failed (gave up after the maximum attempts).';
comment on column public.coordinator_notifications.attempts is
    'Delivery attempts started so far (a claim counts as an attempt).';
comment on column public.coordinator_notifications.next_attempt_at is
    'pending: not before this instant (exponential backoff after a failure). sending: the claim expires '
    'at this instant and another dispatcher may retry.';
comment on column public.coordinator_notifications.sent_at is
    'When the sender accepted the notification. Set exactly when status = sent.';
comment on column public.coordinator_notifications.last_error is
    'Error of the last failed attempt, from the sender. No personal data.';

-- The dispatcher's queue: due rows that are not finished.
create index coordinator_notifications_due_idx
    on public.coordinator_notifications (next_attempt_at)
    where status in ('pending', 'sending');

-- Deleting an auth user cascades here.
create index coordinator_notifications_coordinator_user_id_idx
    on public.coordinator_notifications (coordinator_user_id);

-- Privileges: Supabase's default privileges exposed both tables to every API role. Take it back;
-- service_role may read (support, dashboards); only the owner (the job, the dispatcher) writes.
revoke all on table public.status_job_runs from public, anon, authenticated, service_role;
revoke all on table public.coordinator_notifications from public, anon, authenticated, service_role;
grant select on table public.status_job_runs to service_role;
grant select on table public.coordinator_notifications to service_role;

alter table public.status_job_runs enable row level security;
alter table public.coordinator_notifications enable row level security;

-- Who is told ------------------------------------------------------------------------------------
create function mentor_status_private.notification_recipients(p_mentor_ids uuid[])
returns table (coordinator_user_id uuid, mentor_id uuid, fell_back_to_organisation boolean)
language sql
stable
set search_path = ''
as $$
    with chapter_coordinators as (
        -- every active coordinator of every chapter of the mentor
        select distinct ca.user_id, cm.mentor_id
        from public.chapter_memberships cm
        join public.coordinator_assignments ca on ca.chapter_id = cm.chapter_id
        where cm.mentor_id = any (p_mentor_ids)
          and ca.revoked_at is null
    ),
    organisation_coordinators as (
        -- none of the mentor's chapters has one: every active coordinator of the organisation
        select distinct ca.user_id, m.id as mentor_id
        from public.peer_mentors m
        join public.chapters c on c.organisation_id = m.organisation_id
        join public.coordinator_assignments ca on ca.chapter_id = c.id
        where m.id = any (p_mentor_ids)
          and ca.revoked_at is null
          and not exists (select 1 from chapter_coordinators cc where cc.mentor_id = m.id)
    )
    select user_id, mentor_id, false from chapter_coordinators
    union all
    select user_id, mentor_id, true from organisation_coordinators
$$;

comment on function mentor_status_private.notification_recipients(uuid[]) is
    'Who must be told about each of these mentors: every active coordinator (revoked_at is null) of every '
    'chapter the mentor belongs to; when none of them has one, every active coordinator of the mentor''s '
    'organisation (fell_back_to_organisation = true). A mentor with neither gets no row. One row per '
    '(coordinator, mentor). Reads past RLS only for its owner: not granted to the API roles.';

-- One batch ---------------------------------------------------------------------------------------
create function mentor_status_private.pause_expired_certifications(
    p_job_run_id uuid,
    p_as_of timestamptz,
    p_batch_size integer
)
returns table (mentors_paused integer, notifications_written integer, paused_mentor_ids uuid[])
language sql
volatile
set search_path = ''
as $$
    with candidates as (
        -- skip locked: a concurrent run takes other mentors instead of waiting for these
        select m.id
        from public.peer_mentors m
        where m.status = 'active'
          and m.deleted_at is null
          and m.certification_expires_at <= p_as_of
        order by m.certification_expires_at, m.id
        limit p_batch_size
        for update skip locked
    ),
    paused as (
        -- status re-checked: a row another transaction changed since our snapshot is re-read under
        -- the lock, and a mentor no longer active is left alone (never paused twice)
        update public.peer_mentors m
        set status = 'paused',
            status_changed_at = clock_timestamp()
        where m.id = any (array(select c.id from candidates c)) -- an array: a primary-key lookup, never a scan of peer_mentors
          and m.status = 'active'
          and m.deleted_at is null
        returning m.id, m.status_changed_at
    ),
    history as (
        insert into public.peer_mentor_status_history
            (mentor_id, previous_status, new_status, changed_by, changed_at, reason, job_run_id)
        select p.id, 'active', 'paused', null, p.status_changed_at, 'certification_expired', p_job_run_id
        from paused p
        returning mentor_id
    ),
    recipients as (
        select r.coordinator_user_id,
               array_agg(r.mentor_id order by r.mentor_id) as mentor_ids,
               coalesce(array_agg(r.mentor_id order by r.mentor_id) filter (where r.fell_back_to_organisation), '{}') as fallback_mentor_ids
        from mentor_status_private.notification_recipients(array(select id from paused)) r
        group by r.coordinator_user_id
    ),
    notified as (
        insert into public.coordinator_notifications as n
            (job_run_id, coordinator_user_id, mentor_ids, fallback_mentor_ids)
        select p_job_run_id, r.coordinator_user_id, r.mentor_ids, r.fallback_mentor_ids
        from recipients r
        on conflict (job_run_id, coordinator_user_id) do update
        set mentor_ids = array(select distinct u from unnest(n.mentor_ids || excluded.mentor_ids) u order by u),
            fallback_mentor_ids = array(select distinct u from unnest(n.fallback_mentor_ids || excluded.fallback_mentor_ids) u order by u),
            updated_at = now()
        returning n.id
    ),
    run as (
        update public.status_job_runs j
        set mentors_paused = j.mentors_paused + (select count(*) from history)::integer,
            batches = j.batches + case when exists (select 1 from history) then 1 else 0 end,
            heartbeat_at = clock_timestamp()
        where j.id = p_job_run_id
        returning j.id
    )
    select (select count(*) from history)::integer,
           (select count(*) from notified)::integer,
           array(select mentor_id from history order by mentor_id)
    from run
$$;

comment on function mentor_status_private.pause_expired_certifications(uuid, timestamptz, integer) is
    'One batch of the certification expiry job, one statement: locks up to p_batch_size active, not '
    'deleted mentors whose certification_expires_at <= p_as_of (skip locked), pauses them, appends their '
    'history rows (certification_expired, changed_by NULL, job_run_id), upserts the coordinator '
    'notifications and counts the batch on the run. Call it in its own transaction; repeat while it '
    'pauses someone. Returns no row when the run does not exist. Owner only (writes history directly).';

-- pg_cron entry point ------------------------------------------------------------------------------
-- A procedure, so that it can commit after every batch. No SET clause (a procedure with one cannot
-- commit): every name is schema-qualified instead.
create procedure mentor_status_private.run_certification_expiry_job(
    p_as_of timestamptz default null,
    p_batch_size integer default 500,
    p_abandon_after interval default interval '1 hour'
)
language plpgsql
as $$
declare
    v_as_of timestamptz := coalesce(p_as_of, now());
    v_run uuid;
    v_paused integer;
begin
    update public.status_job_runs
    set outcome = 'failed', finished_at = clock_timestamp(),
        error = 'abandoned: no batch committed since ' || heartbeat_at::text
    where job_name = 'certification_expiry'
      and outcome = 'running'
      and heartbeat_at < clock_timestamp() - p_abandon_after;

    insert into public.status_job_runs (job_name, as_of, batch_size)
    values ('certification_expiry', v_as_of, p_batch_size)
    returning id into v_run;
    commit;

    loop
        select b.mentors_paused into v_paused
        from mentor_status_private.pause_expired_certifications(v_run, v_as_of, p_batch_size) b;
        commit;
        exit when coalesce(v_paused, 0) = 0;
    end loop;

    update public.status_job_runs
    set outcome = 'succeeded', finished_at = clock_timestamp()
    where id = v_run;
    commit;
end;
$$;

comment on procedure mentor_status_private.run_certification_expiry_job(timestamptz, integer, interval) is
    'The certification expiry job in SQL, for pg_cron (CALL, outside a transaction block): marks stale '
    'running runs failed, records a run, commits one batch at a time until none is left, marks it '
    'succeeded. Same batch as the .NET job (mentorstatus job certification-expiry).';

revoke all on function mentor_status_private.notification_recipients(uuid[]) from public, anon, authenticated, service_role;
revoke all on function mentor_status_private.pause_expired_certifications(uuid, timestamptz, integer) from public, anon, authenticated, service_role;
revoke all on procedure mentor_status_private.run_certification_expiry_job(timestamptz, integer, interval) from public, anon, authenticated, service_role;
