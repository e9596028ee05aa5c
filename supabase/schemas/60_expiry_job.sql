-- The certification-expiry job
--
-- Pauses every active mentor whose certification expired, in batches: each batch is one statement that pauses by ctid
-- and writes the history rows (changed_by NULL, the run's job_run_id, time-ordered ids), continuing after the previous
-- batch's (certification_expires_at, id). Runs are recorded in public.status_job_runs; the .NET job and the pg_cron
-- procedure run the same batch. Coordinators are told when a run finishes (70_notifications.sql).
--
-- Part of the declarative schema: supabase/schemas/*.sql, applied in file-name order on top of the platform layer,
-- describe the database as the migrations leave it. Change the schema here, then `mentorstatus db diff -f NAME`
-- writes the migration and its rollback; CI fails when these files and the migrations disagree.

-- No run dated in the future --------------------------------------------------------------------------------
create or replace function mentor_status_private.refuse_as_of_in_the_future(p_as_of timestamp with time zone)
    returns void
    language plpgsql
    stable
    set search_path to 'pg_catalog', 'pg_temp'
as $function$
declare
    c_clock_skew constant interval := interval '5 minutes';
begin
    if p_as_of > pg_catalog.now() + c_clock_skew then
        raise exception 'certification expiry as of % is in the future (the database''s time is %): it would pause certifications that have not expired',
                p_as_of, pg_catalog.now()
            using errcode = 'MS400',
                  hint = 'Run the job as of now (leave the as-of out) or an earlier instant; at most 5 minutes of clock difference are allowed.';
    end if;
end;
$function$;
comment on function mentor_status_private.refuse_as_of_in_the_future(timestamp with time zone) is
    'Raises MS400 when p_as_of is later than now() plus 5 minutes (the clock difference allowed between '
    'the job''s machine and the database); NULL passes. Used by pause_expired_certifications and the '
    'insert of a certification_expiry run. Owner only.';

create or replace function mentor_status_private.refuse_run_as_of_in_the_future()
    returns trigger
    language plpgsql
    set search_path to 'pg_catalog', 'pg_temp'
as $function$
begin
    perform mentor_status_private.refuse_as_of_in_the_future(new.as_of);
    return new;
end;
$function$;
comment on function mentor_status_private.refuse_run_as_of_in_the_future() is
    'BEFORE INSERT trigger of status_job_runs for certification_expiry runs: refuses (MS400) a run as of '
    'a time in the future before it is recorded. Not callable directly.';

create trigger status_job_runs_refuse_as_of_in_the_future
    before insert on public.status_job_runs
    for each row
    when ((new.job_name = 'certification_expiry'::text)) execute function mentor_status_private.refuse_run_as_of_in_the_future();


-- One batch -------------------------------------------------------------------------------------------------
create or replace function mentor_status_private.pause_expired_certifications(
    p_job_run_id uuid,
    p_as_of timestamp with time zone,
    p_batch_size integer,
    p_after_expires_at timestamp with time zone,
    p_after_mentor_id uuid
)
    returns table(mentors_paused integer, paused_mentor_ids uuid[], last_expires_at timestamp with time zone, last_mentor_id uuid)
    language sql
    set search_path to ''
as $function$
    -- an as-of in the future would pause certifications that have not expired yet (MS400)
    select mentor_status_private.refuse_as_of_in_the_future(p_as_of);

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
$function$;
comment on function mentor_status_private.pause_expired_certifications(uuid,timestamp with time zone,integer,timestamp with time zone,uuid) is
    'One batch of the certification expiry job, continuing after (p_after_expires_at, p_after_mentor_id) '
    '(both NULL: from the start): waits for the batch of any concurrent run (a transaction-level '
    'advisory lock), reads up to p_batch_size active, not deleted mentors whose certification_expires_at '
    '<= p_as_of, in (certification_expires_at, id) order after the cursor, and pauses them by ctid (a '
    'row changed concurrently is re-checked and left alone when it no longer qualifies), appends their '
    'history rows (time-ordered ids: UUID version 7 from the change''s millisecond, then random bits) '
    '(certification_expired, changed_by NULL, job_run_id) and counts the batch on the run (the '
    'coordinators are told when the run finishes: mentor_status_private.write_run_notifications). '
    'Returns the cursor for the next batch (last_expires_at, last_mentor_id: the last mentor read, '
    'paused or not); both NULL when nothing was left to read, which ends the run. Call it in its own '
    'transaction. Returns no row when the run does not exist. Refuses (MS400) a p_as_of later than now() '
    'plus 5 minutes (mentor_status_private.refuse_as_of_in_the_future). Owner only (writes history '
    'directly).';

create or replace function mentor_status_private.pause_expired_certifications(
    p_job_run_id uuid,
    p_as_of timestamp with time zone,
    p_batch_size integer
)
    returns table(mentors_paused integer, paused_mentor_ids uuid[])
    language sql
    set search_path to ''
as $function$
    select b.mentors_paused, b.paused_mentor_ids
    from mentor_status_private.pause_expired_certifications(p_job_run_id, p_as_of, p_batch_size, null, null) b
$function$;
comment on function mentor_status_private.pause_expired_certifications(uuid,timestamp with time zone,integer) is
    'One batch of the certification expiry job from the start (no cursor): the five-argument '
    'pause_expired_certifications with p_after_expires_at and p_after_mentor_id NULL. A run calls the '
    'five-argument one and passes each batch''s cursor to the next. Owner only.';

-- The whole job for pg_cron ---------------------------------------------------------------------------------
create or replace procedure mentor_status_private.run_certification_expiry_job(
    in p_as_of timestamp with time zone default null::timestamp with time zone,
    in p_batch_size integer default 2000,
    in p_abandon_after interval default '01:00:00'::interval
)
    language plpgsql
as $procedure$
declare
    v_as_of pg_catalog.timestamptz := coalesce(p_as_of, pg_catalog.now());
    v_run pg_catalog.uuid;
    v_after_expires_at pg_catalog.timestamptz;
    v_after_mentor_id pg_catalog.uuid;
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
        select b.last_expires_at, b.last_mentor_id into v_after_expires_at, v_after_mentor_id
        from mentor_status_private.pause_expired_certifications(v_run, v_as_of, p_batch_size,
                                                                v_after_expires_at, v_after_mentor_id) b;
        commit;
        -- the end: nothing left to read after the cursor (a batch that paused nobody does not end the run)
        exit when v_after_mentor_id is null;
    end loop;

    update public.status_job_runs
    set outcome = 'succeeded', finished_at = pg_catalog.clock_timestamp()
    where id operator(pg_catalog.=) v_run;
    commit;
end;
$procedure$;
comment on procedure mentor_status_private.run_certification_expiry_job(timestamp with time zone,integer,interval) is
    'The certification expiry job in SQL, for pg_cron (CALL, outside a transaction block): marks stale '
    'running runs failed, records a run, commits one batch at a time, each continuing after the previous '
    'batch''s cursor, until none is left, marks it succeeded. Same batch and cursor as the .NET job '
    '(mentorstatus job certification-expiry), same default batch size (2000: a batch holds its mentors'' row '
    'locks until it commits, and at 2000 a concurrent status change waits at most about 200 ms; BENCHMARKS.md) '
    'and asynchronous batch commits (docs/reliability.md). '
    'security: ignore function_search_path_mutable because a procedure with a SET clause cannot COMMIT '
    '(PostgreSQL makes it atomic) and this one commits per batch; every name in the body is '
    'schema-qualified and it is security invoker, so the search_path decides nothing.';
