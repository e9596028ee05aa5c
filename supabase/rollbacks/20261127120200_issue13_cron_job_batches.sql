-- Rollback of 20261127120200_issue13_cron_job_batches: the pg_cron procedure as 20261127105000 left it
-- (batches of 500 by default, each committed synchronously), with its comment.

set lock_timeout = '5s';

create or replace procedure mentor_status_private.run_certification_expiry_job(
    p_as_of timestamptz default null,
    p_batch_size integer default 500,
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
    'succeeded. Same batch as the .NET job (mentorstatus job certification-expiry). '
    'security: ignore function_search_path_mutable because a procedure with a SET clause cannot COMMIT '
    '(PostgreSQL makes it atomic) and this one commits per batch; every name in the body is '
    'schema-qualified and it is security invoker, so the search_path decides nothing.';
