-- Rollback of 20261127105000_issue10_pin_function_search_path: every function gets back the
-- proconfig it had before (read from the private table the migration filled), and the pg_cron
-- procedure its previous body and comment.

do $restore_search_path$
declare
    v_function record;
begin
    for v_function in
        select s.function_signature, s.proconfig, s.comment_changed, s.comment_before
        from mentor_status_private.rollback_state_20261127105000 s
        where pg_catalog.to_regprocedure(s.function_signature) is not null
        order by 1
    loop
        if v_function.comment_changed then
            execute pg_catalog.format('comment on function %s is %L', v_function.function_signature, v_function.comment_before);
        end if;
        execute pg_catalog.format('alter function %s reset search_path', v_function.function_signature);
        -- the previous search_path, if it had one (other settings were never changed)
        if exists (select 1 from pg_catalog.unnest(v_function.proconfig) as c where c like 'search\_path=%') then
            execute pg_catalog.format('alter function %s set search_path = %s', v_function.function_signature,
                (select case when v = '""' then '''''' else v end  -- an empty path is stored as ""
                 from pg_catalog.unnest(v_function.proconfig) as c,
                      pg_catalog.substr(c, pg_catalog.length('search_path=') + 1) as v
                 where c like 'search\_path=%' limit 1));
        end if;
    end loop;
end
$restore_search_path$;

drop table mentor_status_private.rollback_state_20261127105000;

-- The pg_cron procedure as 20261101000500 created it.
create or replace procedure mentor_status_private.run_certification_expiry_job(
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
