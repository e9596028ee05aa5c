-- Rollback of 20261127140100_issue13_expiry_keyset_continuation: the five-argument batch is dropped; the
-- three-argument batch and its comment as 20261127130100 wrote them, and the pg_cron procedure and its
-- comment as 20261127120200 wrote them (each batch from the start, the run ends at a batch that paused nobody).

set lock_timeout = '5s';

drop function mentor_status_private.pause_expired_certifications(uuid, timestamptz, integer, timestamptz, uuid);

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

create or replace procedure mentor_status_private.run_certification_expiry_job(
    p_as_of timestamptz default null,
    p_batch_size integer default 5000,
    p_abandon_after interval default interval '1 hour'
)
language plpgsql
as $$
declare
    v_as_of pg_catalog.timestamptz := coalesce(p_as_of, pg_catalog.now());
    v_run pg_catalog.uuid;
    v_paused pg_catalog.int4;
begin
    update public.status_job_runs
    set outcome = 'failed', finished_at = pg_catalog.clock_timestamp(),
        error = 'abandoned: no batch committed since ' operator(pg_catalog.||) heartbeat_at::pg_catalog.text
    where job_name operator(pg_catalog.=) 'certification_expiry'
      and outcome operator(pg_catalog.=) 'running'
      and heartbeat_at operator(pg_catalog.<) (pg_catalog.clock_timestamp() operator(pg_catalog.-) p_abandon_after);

    insert into public.status_job_runs (job_name, as_of, batch_size)
    values ('certification_expiry', v_as_of, p_batch_size)
    returning id into v_run;
    commit;

    loop
        -- no WAL flush wait per batch (as the .NET job): a batch lost in a crash is lost whole, and
        -- redone by the next run; the final commit below is synchronous and flushes every batch
        perform pg_catalog.set_config('synchronous_commit', 'off', true);
        select b.mentors_paused into v_paused
        from mentor_status_private.pause_expired_certifications(v_run, v_as_of, p_batch_size) b;
        commit;
        exit when coalesce(v_paused, 0) operator(pg_catalog.=) 0;
    end loop;

    update public.status_job_runs
    set outcome = 'succeeded', finished_at = pg_catalog.clock_timestamp()
    where id operator(pg_catalog.=) v_run;
    commit;
end;
$$;

comment on procedure mentor_status_private.run_certification_expiry_job(timestamptz, integer, interval) is
    'The certification expiry job in SQL, for pg_cron (CALL, outside a transaction block): marks stale '
    'running runs failed, records a run, commits one batch at a time until none is left, marks it '
    'succeeded. Same batch as the .NET job (mentorstatus job certification-expiry), same default batch size '
    '(5000, by the curve in BENCHMARKS.md, issue 13) and asynchronous batch commits (docs/reliability.md). '
    'security: ignore function_search_path_mutable because a procedure with a SET clause cannot COMMIT '
    '(PostgreSQL makes it atomic) and this one commits per batch; every name in the body is '
    'schema-qualified and it is security invoker, so the search_path decides nothing.';
