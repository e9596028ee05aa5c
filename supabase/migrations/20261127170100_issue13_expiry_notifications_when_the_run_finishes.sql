-- requires: 20261127170000
-- issue 13, item 3, round 6: the certification-expiry job tells the coordinators once, when the run finishes,
-- instead of merging every batch's mentors into their notifications.
--
-- Before, each batch upserted one notification per coordinator it concerned and merged its mentors into the
-- arrays the earlier batches had written (sort, distinct, a new row version with its index entries): with 1,000
-- chapter coordinators and batches of 5,000, ~1,000 upserts per batch, 20,000 per run. Measured on the bench
-- cluster at full size (psql harness, 3 alternating rounds, machine shared): the run without the notification
-- part took a median 16 % less. The batch now writes only the pause, the history rows and the run's counters.
--
-- When a run leaves 'running' (succeeded, failed, or marked abandoned by the next run, whichever path: the .NET
-- job, the pg_cron procedure, an operator's UPDATE), a trigger on status_job_runs writes its notifications in
-- the same transaction, from the run's history rows: one per coordinator, the same rule as before
-- (notification_recipients: chapter coordinators, else the organisation's). Nothing changes for the
-- dispatcher, which has only ever delivered the notifications of runs that are no longer running: a
-- notification still becomes deliverable at the same moment with the same mentors. What a crash leaves is also
-- the same: a killed run's paused mentors are told when the next run marks it abandoned (before: their
-- notifications sat in the outbox, undeliverable, until that same moment).
--
-- One difference, accepted: the coordinators are those of the mentors' chapters when the run finishes, not
-- when each batch ran (a coordinator revoked during the run is no longer told; one assigned during it is).
--
-- A run started before this migration already has notifications from its batches: the trigger merges into them
-- (same upsert as the batches used), so its coordinators get one notification each, with every mentor.
--
-- The batch's result loses notifications_written (always 0 now); the job reports the notifications of the run
-- when it finishes. The function is dropped and created again (its result type changes), so its privileges are
-- revoked again below.

set lock_timeout = '5s';

-- The run's notifications, from its history rows ---------------------------------------------------------
create function mentor_status_private.write_run_notifications(p_job_run_id uuid)
returns integer
language sql
volatile
set search_path = ''
as $$
    with paused as (
        select h.mentor_id
        from public.peer_mentor_status_history h
        where h.job_run_id = p_job_run_id
          and h.reason = 'certification_expired'
          and h.new_status = 'paused'
    ),
    recipients as (
        select r.coordinator_user_id,
               array_agg(r.mentor_id order by r.mentor_id) as mentor_ids,
               coalesce(array_agg(r.mentor_id order by r.mentor_id) filter (where r.fell_back_to_organisation), '{}') as fallback_mentor_ids
        from mentor_status_private.notification_recipients(array(select distinct p.mentor_id from paused p)) r
        group by r.coordinator_user_id
    ),
    notified as (
        -- a merge only for a run whose batches wrote notifications before 20261127170100
        insert into public.coordinator_notifications as n
            (job_run_id, coordinator_user_id, mentor_ids, fallback_mentor_ids)
        select p_job_run_id, r.coordinator_user_id, r.mentor_ids, r.fallback_mentor_ids
        from recipients r
        on conflict (job_run_id, coordinator_user_id) do update
        set mentor_ids = array(select distinct u from unnest(n.mentor_ids || excluded.mentor_ids) u order by u),
            fallback_mentor_ids = array(select distinct u from unnest(n.fallback_mentor_ids || excluded.fallback_mentor_ids) u order by u),
            updated_at = now()
        returning n.id
    )
    select count(*)::integer from notified
$$;

comment on function mentor_status_private.write_run_notifications(uuid) is
    'Writes the coordinator notifications of one certification-expiry run from its history rows (the mentors '
    'it paused): one per coordinator (notification_recipients), merged into any the run already has. Called '
    'by the trigger on status_job_runs when the run finishes; returns the notifications written. Owner only.';

revoke all on function mentor_status_private.write_run_notifications(uuid) from public, anon, authenticated, service_role;

create function mentor_status_private.notify_coordinators_when_run_finishes()
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

revoke all on function mentor_status_private.notify_coordinators_when_run_finishes() from public, anon, authenticated, service_role;

create trigger status_job_runs_notify_coordinators_when_finished
    after update of outcome on public.status_job_runs
    for each row
    when (old.outcome = 'running' and new.outcome <> 'running' and new.job_name = 'certification_expiry')
    execute function mentor_status_private.notify_coordinators_when_run_finishes();

comment on table public.coordinator_notifications is
    'Outbox: one notification per coordinator per job run, listing the mentors the run paused that this '
    'coordinator looks after. Written when the run leaves running (trigger on status_job_runs, from the '
    'run''s history rows, in the transaction that ends the run); delivered by the dispatcher once the run is '
    'no longer running.';

-- The batch without notifications --------------------------------------------------------------------------
drop function mentor_status_private.pause_expired_certifications(uuid, timestamptz, integer);
drop function mentor_status_private.pause_expired_certifications(uuid, timestamptz, integer, timestamptz, uuid);

create function mentor_status_private.pause_expired_certifications(
    p_job_run_id uuid,
    p_as_of timestamptz,
    p_batch_size integer,
    p_after_expires_at timestamptz,
    p_after_mentor_id uuid
)
returns table (mentors_paused integer, paused_mentor_ids uuid[], last_expires_at timestamptz, last_mentor_id uuid)
language sql
volatile
set search_path = ''
as $$
    -- batches of concurrent runs one at a time (released at commit); the statement below then takes its
    -- snapshot after the previous batch committed
    select pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('mentor_status.certification_expiry'), 0);

    with candidates as (
        -- keyset continuation: after the previous batch's last (certification_expires_at, id), so that the
        -- index scan starts where that batch stopped instead of walking the entries of every mentor the run
        -- paused before (the first comparison is the index condition, the row comparison settles ties)
        select m.ctid, m.certification_expires_at, m.id
        from public.peer_mentors m
        where m.status = 'active'
          and m.deleted_at is null
          and m.certification_expires_at <= p_as_of
          and m.certification_expires_at >= coalesce(p_after_expires_at, '-infinity'::timestamptz)
          and (p_after_expires_at is null
               or (m.certification_expires_at, m.id) > (p_after_expires_at, p_after_mentor_id))
        order by m.certification_expires_at, m.id
        limit p_batch_size
    ),
    last_read as (
        -- where the next batch continues (none: nothing left after the cursor)
        select c.certification_expires_at, c.id
        from candidates c
        order by c.certification_expires_at desc, c.id desc
        limit 1
    ),
    paused as (
        -- by ctid: a TID scan of the rows just read, no second index lookup. Every condition is repeated:
        -- a row changed concurrently is re-checked on its newest version, and left alone if it no longer qualifies
        update public.peer_mentors m
        set status = 'paused',
            status_changed_at = clock_timestamp()
        where m.ctid = any (array(select c.ctid from candidates c))
          and m.status = 'active'
          and m.deleted_at is null
          and m.certification_expires_at <= p_as_of
        returning m.id, m.status_changed_at
    ),
    history as (
        insert into public.peer_mentor_status_history
            (id, mentor_id, previous_status, new_status, changed_by, changed_at, reason, job_run_id)
        -- a time-ordered id (UUID version 7: the change's Unix time in milliseconds, then random bits; see the
        -- header): written inline, since a function call per row costs more than the expression
        select pg_catalog.encode(
                   pg_catalog.set_bit(pg_catalog.set_bit(
                       pg_catalog.overlay(pg_catalog.uuid_send(pg_catalog.gen_random_uuid()),
                                          pg_catalog.substring(pg_catalog.int8send(
                                              pg_catalog.floor(extract(epoch from p.status_changed_at) * 1000)::bigint), 3),
                                          1, 6),
                       52, 1), 53, 1),
                   'hex')::uuid,
               p.id, 'active', 'paused', null, p.status_changed_at, 'certification_expired', p_job_run_id
        from paused p
        -- in mentor order, after the whole pause: measured faster than inserting each history row as its
        -- mentor is paused, in heap order (20261127140100)
        order by p.id
        returning mentor_id
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
           array(select mentor_id from history order by mentor_id),
           (select l.certification_expires_at from last_read l),
           (select l.id from last_read l)
    from run
$$;

comment on function mentor_status_private.pause_expired_certifications(uuid, timestamptz, integer, timestamptz, uuid) is
    'One batch of the certification expiry job, continuing after (p_after_expires_at, p_after_mentor_id) '
    '(both NULL: from the start): waits for the batch of any concurrent run (a transaction-level advisory '
    'lock), reads up to p_batch_size active, not deleted mentors whose certification_expires_at <= p_as_of, '
    'in (certification_expires_at, id) order after the cursor, and pauses them by ctid (a row changed '
    'concurrently is re-checked and left alone when it no longer qualifies), appends their history rows '
    '(time-ordered ids: UUID version 7 from the change''s millisecond, then random bits) '
    '(certification_expired, changed_by NULL, job_run_id) and counts the batch on the run (the coordinators are '
    'told when the run finishes: mentor_status_private.write_run_notifications). Returns the cursor for the next batch (last_expires_at, last_mentor_id: the last '
    'mentor read, paused or not); both NULL when nothing was left to read, which ends the run. Call it in its '
    'own transaction. Returns no row when the run does not exist. Owner only (writes history directly).';

-- The three-argument batch: one batch from the start, as before.
create function mentor_status_private.pause_expired_certifications(
    p_job_run_id uuid,
    p_as_of timestamptz,
    p_batch_size integer
)
returns table (mentors_paused integer, paused_mentor_ids uuid[])
language sql
volatile
set search_path = ''
as $$
    select b.mentors_paused, b.paused_mentor_ids
    from mentor_status_private.pause_expired_certifications(p_job_run_id, p_as_of, p_batch_size, null, null) b
$$;

comment on function mentor_status_private.pause_expired_certifications(uuid, timestamptz, integer) is
    'One batch of the certification expiry job from the start (no cursor): the five-argument '
    'pause_expired_certifications with p_after_expires_at and p_after_mentor_id NULL. A run calls the '
    'five-argument one and passes each batch''s cursor to the next. Owner only.';

revoke all on function mentor_status_private.pause_expired_certifications(uuid, timestamptz, integer, timestamptz, uuid)
    from public, anon, authenticated, service_role;
revoke all on function mentor_status_private.pause_expired_certifications(uuid, timestamptz, integer)
    from public, anon, authenticated, service_role;
