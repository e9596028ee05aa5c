-- requires: 20261127120200
-- issue 13, item 3, round 4: one batch of the certification-expiry job in one pass over peer_mentors.
--
-- Before: the batch selected its candidates `for update skip locked` (a row lock, with its WAL record, on
-- every candidate) and then found each locked row again by primary key to update it (an index descent per
-- mentor). Measured at small size (10,000 expired mentors, EXPLAIN (ANALYZE, BUFFERS)): the lock pass and the
-- re-find were ≈ 78,000 of the job's ≈ 317,000 buffer accesses, against ≈ 223,000 for the whole plain-SQL floor.
--
-- Now: the candidates are read without a lock and updated by the ctid the same statement just read (a TID
-- scan: the heap page, no index). The UPDATE itself locks each row as it changes it, and re-checks every
-- condition on the row's newest version when a concurrent transaction changed it first (EvalPlanQual, READ
-- COMMITTED): a coordinator's status change, a soft delete or a renewed certification that commits before the
-- batch reaches the row wins, and the mentor is left alone; one that comes after waits for the batch to commit
-- (bounded by one batch, as before) and then applies to the paused mentor. A ctid read by this statement
-- cannot be reused by another row while the statement runs (its snapshot keeps the version it saw).
--
-- skip locked was also what kept two concurrent runs apart. Instead, every batch now first takes a
-- transaction-level advisory lock (the same key for the .NET job and the pg_cron procedure): batches of
-- concurrent runs take turns, one at a time, and each batch's statement starts with a snapshot taken after the
-- lock, so it sees every pause of the batch before it and never repeats one. A second run waits at most one
-- batch per turn and shares the work; nobody is paused twice, and no run stops early because another one held
-- its candidates. Transaction-level, so it holds through a transaction pooler (Supavisor, PgBouncer) too.
--
-- Same arguments, same result, same history rows, notifications and run counters as before.

set lock_timeout = '5s';

create or replace function mentor_status_private.pause_expired_certifications(
    p_job_run_id uuid,
    p_as_of timestamptz,
    p_batch_size integer
)
returns table (mentors_paused integer, notifications_written integer, paused_mentor_ids uuid[])
language sql
volatile
set search_path = ''
as $$
    -- batches of concurrent runs one at a time (released at commit); the statement below then takes its
    -- snapshot after the previous batch committed
    select pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('mentor_status.certification_expiry'), 0);

    with candidates as (
        select m.ctid
        from public.peer_mentors m
        where m.status = 'active'
          and m.deleted_at is null
          and m.certification_expires_at <= p_as_of
        order by m.certification_expires_at, m.id
        limit p_batch_size
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
    'One batch of the certification expiry job, one pass: waits for the batch of any concurrent run (a '
    'transaction-level advisory lock), reads up to p_batch_size active, not deleted mentors whose '
    'certification_expires_at <= p_as_of and pauses them by ctid (a row changed concurrently is re-checked and '
    'left alone when it no longer qualifies), appends their history rows (certification_expired, changed_by '
    'NULL, job_run_id), upserts the coordinator notifications and counts the batch on the run. Call it in its '
    'own transaction; repeat while it pauses someone. Returns no row when the run does not exist. Owner only '
    '(writes history directly).';
