-- requires: 20261101000600
-- issue 10, parts 3 and 7: no function of the project can be hijacked through the caller's pg_temp,
-- and none has a role-mutable search_path (Supabase lint function_search_path_mutable).
--
-- The attack. With `set search_path = ''` PostgreSQL still searches the CALLER's temporary schema
-- first for relations and types (not for functions and operators). A signed-in user with a SQL
-- session creates `create domain pg_temp.uuid as pg_catalog.uuid check (attacker_fn(value))`, then
-- calls a security definer function: an unqualified `uuid` in its DECLARE, a cast, or the body of an
-- inlined SQL function it calls (auth.uid() casts `::uuid`) resolves to that domain, and the CHECK
-- runs attacker code with the function owner's rights. With `pg_temp` named explicitly LAST in the
-- search_path, pg_catalog (and every qualified name) wins and pg_temp is searched only for names
-- nothing else has. supabase/tests/051_definer_hijack_attack.sql and the xunit TempSchemaAttackTests
-- run the attack against a vulnerable copy (it works) and against ours (it fails).
--
-- What this migration does, for every function of the project found in the catalog (not a list of
-- today's names, so that functions added by earlier migrations are covered too): every schema that
-- is not the platform's (pg_catalog, information_schema, auth, storage, extensions, graphql, realtime,
-- vault, ... the list below) and every function that no extension owns.
--   * every SECURITY DEFINER function whose search_path is missing, empty, or does not end with
--     pg_temp gets `set search_path = pg_catalog, pg_temp`;
--   * every other function without a search_path gets the same (function_search_path_mutable).
-- Procedures are left out on purpose: a procedure with any SET clause cannot COMMIT ("invalid
-- transaction termination"), and mentor_status_private.run_certification_expiry_job commits after
-- every batch so that a killed run keeps its finished batches and no batch holds its locks for long.
-- Its body is rewritten instead with every name schema-qualified (types, functions and operators),
-- so nothing in it resolves through the search_path; it is SECURITY INVOKER, so a caller's pg_temp
-- object could only ever run with the caller's own rights. The object's comment records this as an
-- acknowledged `function_search_path_mutable` finding, which `db security` then lists as
-- acknowledged instead of failing.
--
-- TEMP privilege: kept for the API roles (PUBLIC keeps TEMPORARY on the database), because
--   * the pinning above closes the hole whatever objects a caller has in pg_temp, and `db security`
--     (rule definer_search_path_pg_temp_not_last) fails any definer function that loses it;
--   * TEMPORARY is a database-level grant: it is not part of the schema a migration owns, it is not
--     copied by CREATE DATABASE ... TEMPLATE nor restored by a schema dump, and revoking it from PUBLIC
--     on hosted Supabase would also take it from the platform's own roles (storage, realtime,
--     pgbouncer) that may rely on it;
--   * PostgREST callers cannot create temporary objects at all (no raw SQL); the attack needs a SQL
--     session as an API role, which is what the pinning defends against.
--
-- The previous settings are kept in a private table so that the rollback restores them exactly.

create table mentor_status_private.rollback_state_20261127105000 (
    function_signature text primary key,
    proconfig text[] null,
    comment_changed boolean not null default false,
    comment_before text null
);

comment on table mentor_status_private.rollback_state_20261127105000 is
    'The proconfig each function had before migration 20261127105000 pinned its search_path; read by '
    'its rollback only. No API role may read it.';

alter table mentor_status_private.rollback_state_20261127105000 enable row level security;
revoke all on table mentor_status_private.rollback_state_20261127105000 from public, anon, authenticated, service_role;

do $pin_search_path$
declare
    v_function record;
begin
    for v_function in
        select p.oid::regprocedure::text as signature, p.proconfig
        from pg_catalog.pg_proc p
        join pg_catalog.pg_namespace n on n.oid = p.pronamespace
        where p.prokind = 'f'
          and n.nspname not like 'pg\_%'
          and n.nspname not in ('information_schema', 'auth', 'storage', 'extensions', 'graphql', 'graphql_public',
                                'realtime', '_realtime', 'vault', 'pgsodium', 'pgsodium_masks', 'net',
                                'supabase_functions', 'supabase_migrations', 'cron', 'pgbouncer', '_analytics',
                                'pgtle', 'topology', 'tiger', 'tiger_data')
          and not exists (select 1 from pg_catalog.pg_depend d
                          where d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass and d.objid = p.oid and d.deptype = 'e')
          and pg_catalog.pg_has_role(p.proowner, 'USAGE')
          and (
              -- a definer function whose search_path does not end with pg_temp
              (p.prosecdef and not exists (
                  select 1 from pg_catalog.unnest(p.proconfig) as s
                  where s ~ '^search_path=.*\mpg_temp"?\s*$'))
              -- any function whose search_path the caller decides
              or not exists (select 1 from pg_catalog.unnest(p.proconfig) as s where s like 'search\_path=%')
          )
        order by 1
    loop
        insert into mentor_status_private.rollback_state_20261127105000 (function_signature, proconfig)
        values (v_function.signature, v_function.proconfig);
        execute pg_catalog.format('alter function %s set search_path = pg_catalog, pg_temp', v_function.signature);
    end loop;
end
$pin_search_path$;

-- The rpc, while it is still a security definer function in public (issue 10 part 7 makes it an
-- invoker function over a private definer helper; that change comes from another migration): its
-- finding authenticated_security_definer_function_executable is acknowledged in its comment, with
-- the reason. Nothing happens once the rpc is security invoker.
do $acknowledge_rpc$
declare
    v_rpc pg_catalog.regprocedure := pg_catalog.to_regprocedure('public.change_mentor_status(uuid, public.mentor_status, text)');
    v_comment text;
begin
    if v_rpc is not null and (select p.prosecdef from pg_catalog.pg_proc p where p.oid = v_rpc) then
        v_comment := pg_catalog.obj_description(v_rpc, 'pg_proc');
        insert into mentor_status_private.rollback_state_20261127105000 (function_signature, proconfig, comment_changed, comment_before)
        values (v_rpc::text, (select p.proconfig from pg_catalog.pg_proc p where p.oid = v_rpc), true, v_comment)
        on conflict (function_signature) do update set comment_changed = true, comment_before = excluded.comment_before;
        execute pg_catalog.format('comment on function %s is %L', v_rpc,
            coalesce(v_comment || ' ', '') ||
            'security: ignore authenticated_security_definer_function_executable because it is the rpc entry point: '
            'the actor is auth.uid(), it checks the caller itself, only authenticated may execute it, and its '
            'search_path is pinned (pg_catalog, pg_temp).');
    end if;
end
$acknowledge_rpc$;

-- The pg_cron entry point: same behaviour, every name qualified (see above for why no SET clause).
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
