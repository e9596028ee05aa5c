-- Rollback of 20261207101100_expiry_refuses_an_as_of_in_the_future.sql: the batch of 20261127170100 again
-- (any as-of), without the refusal and the trigger on status_job_runs.
set lock_timeout = '5s';

drop trigger status_job_runs_refuse_as_of_in_the_future on public.status_job_runs;
drop function mentor_status_private.refuse_run_as_of_in_the_future();

create or replace function mentor_status_private.pause_expired_certifications(
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

drop function mentor_status_private.refuse_as_of_in_the_future(timestamptz);
