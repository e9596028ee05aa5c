-- Rollback of 20261127130100_issue13_expiry_batch_one_pass: the batch function and its comment as
-- 20261101000500 wrote them (lock with for update skip locked, then update by primary key).

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
