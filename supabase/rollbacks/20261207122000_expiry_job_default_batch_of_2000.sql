-- Rollback of 20261207122000: the pg_cron procedure's default batch size back to 5,000, its body and comment as
-- 20261127140100 left them (the comment's text is restored verbatim).

set lock_timeout = '5s';

create or replace procedure mentor_status_private.run_certification_expiry_job(
    p_as_of timestamptz default null,
    p_batch_size integer default 5000,
    p_abandon_after interval default interval '1 hour'
)
language plpgsql
as $proc$
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
$proc$;

comment on procedure mentor_status_private.run_certification_expiry_job(timestamptz, integer, interval) is
    'The certification expiry job in SQL, for pg_cron (CALL, outside a transaction block): marks stale '
    'running runs failed, records a run, commits one batch at a time, each continuing after the previous '
    'batch''s cursor, until none is left, marks it succeeded. Same batch and cursor as the .NET job '
    '(mentorstatus job certification-expiry), same default batch size (5000, by the curve in BENCHMARKS.md, '
    'issue 13) and asynchronous batch commits (docs/reliability.md). '
    'security: ignore function_search_path_mutable because a procedure with a SET clause cannot COMMIT '
    '(PostgreSQL makes it atomic) and this one commits per batch; every name in the body is '
    'schema-qualified and it is security invoker, so the search_path decides nothing.';
