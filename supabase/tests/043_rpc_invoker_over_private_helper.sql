-- issue 10, part 7 (the rpc): public.change_mentor_status keeps its name, arguments and result for clients,
-- but is SECURITY INVOKER over a security definer helper in the private schema (the pattern Supabase
-- recommends: splinter's authenticated_security_definer_function_executable must not fire on public).
-- Every function this issue added pins search_path = pg_catalog, pg_temp.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;

select plan(14);

-- Same contract for clients ------------------------------------------------------------------------
select has_function('public', 'change_mentor_status', array['uuid', 'mentor_status', 'text'],
    'public.change_mentor_status(uuid, mentor_status, text) still exists');
select function_returns('public', 'change_mentor_status', array['uuid', 'mentor_status', 'text'], 'peer_mentor_status_history',
    'and still returns the history record');
select is((select proargnames from pg_proc where oid = 'public.change_mentor_status(uuid, public.mentor_status, text)'::regprocedure),
    array['p_mentor_id', 'p_new_status', 'p_reason']::text[], 'with the same argument names (PostgREST calls it by name)');

-- Invoker in public, definer in private ---------------------------------------------------------------
select is((select prosecdef from pg_proc where oid = 'public.change_mentor_status(uuid, public.mentor_status, text)'::regprocedure),
    false, 'the rpc in the exposed schema is security invoker');
select is((select prosecdef from pg_proc where oid = 'mentor_status_private.change_status_as_user(uuid, public.mentor_status, text)'::regprocedure),
    true, 'its work is done by a security definer helper in mentor_status_private');
select is_empty(
    $$select p.oid::regprocedure::text from pg_proc p
      where p.pronamespace = 'public'::regnamespace and p.prosecdef
        and (has_function_privilege('authenticated', p.oid, 'EXECUTE') or has_function_privilege('anon', p.oid, 'EXECUTE'))$$,
    'splinter authenticated_security_definer_function_executable: no definer function in public that anon or authenticated may run');

-- What authenticated needs, and no more ------------------------------------------------------------------
select ok(has_schema_privilege('authenticated', 'mentor_status_private', 'USAGE'), 'authenticated may use the private schema');
select ok(has_function_privilege('authenticated', 'mentor_status_private.change_status_as_user(uuid, public.mentor_status, text)', 'EXECUTE'),
    'authenticated may execute the helper (the invoker rpc calls it with the caller''s rights)');
select ok(not has_function_privilege('anon', 'mentor_status_private.change_status_as_user(uuid, public.mentor_status, text)', 'EXECUTE')
          and not has_function_privilege('service_role', 'mentor_status_private.change_status_as_user(uuid, public.mentor_status, text)', 'EXECUTE'),
    'anon and service_role may not execute the helper');
select ok(has_function_privilege('authenticated', 'public.allowed_status_changes(uuid)', 'EXECUTE')
          and not has_function_privilege('anon', 'public.allowed_status_changes(uuid)', 'EXECUTE'),
    'allowed_status_changes is for signed-in users only');
select is_empty(
    $$select p.oid::regprocedure::text from pg_proc p
      where p.oid in ('mentor_status_private.write_initial_status_records()'::regprocedure,
                      'mentor_status_private.refuse_status_without_history()'::regprocedure)
        and (has_function_privilege('authenticated', p.oid, 'EXECUTE') or has_function_privilege('anon', p.oid, 'EXECUTE')
             or has_function_privilege('service_role', p.oid, 'EXECUTE'))$$,
    'the trigger functions are callable by no API role');

-- Pinned search_path on every function of this issue ---------------------------------------------------
select is_empty(
    $$select p.oid::regprocedure::text from pg_proc p
      where p.oid in ('public.change_mentor_status(uuid, public.mentor_status, text)'::regprocedure,
                      'public.allowed_status_changes(uuid)'::regprocedure,
                      'mentor_status_private.change_status_as_user(uuid, public.mentor_status, text)'::regprocedure,
                      'mentor_status_private.record_system_status_change(uuid, public.mentor_status, text, uuid)'::regprocedure,
                      'mentor_status_private.pause_cause(uuid, public.mentor_status)'::regprocedure,
                      'mentor_status_private.write_initial_status_records()'::regprocedure,
                      'mentor_status_private.refuse_status_without_history()'::regprocedure)
        and not (coalesce(p.proconfig, '{}') @> array['search_path=pg_catalog, pg_temp'])$$,
    'every function of issue 10 runs with search_path = pg_catalog, pg_temp (pg_temp last)');

-- A caller's temporary objects cannot step in ---------------------------------------------------------------
insert into auth.users (id, email) values ('00000000-0000-4000-8003-000000000001', 'temp.attacker@test.example');
insert into public.organisations (id, name) values ('00000000-0000-4000-8001-000000000001', 'Temp organisation');
insert into public.peer_mentors (id, user_id, organisation_id, display_name) values
    ('00000000-0000-4000-8004-000000000001', '00000000-0000-4000-8003-000000000001', '00000000-0000-4000-8001-000000000001', 'Temp mentor');
create temp table peer_mentors (id uuid, user_id uuid, status text, deleted_at timestamptz, certification_expires_at timestamptz);
create temp table mentor_status_rules (reason_code text);
grant all on pg_temp.peer_mentors, pg_temp.mentor_status_rules to authenticated;
set local role authenticated;
set local request.jwt.claims = '{"sub":"00000000-0000-4000-8003-000000000001","role":"authenticated"}';
select lives_ok(
    $$select public.change_mentor_status('00000000-0000-4000-8004-000000000001', 'paused', 'self_pause')$$,
    'with look-alike tables in the caller''s pg_temp, the rpc still works on the real ones');
reset role;
select is((select status from public.peer_mentors where id = '00000000-0000-4000-8004-000000000001'), 'paused'::public.mentor_status,
    'and changed the real mentor');

select * from finish();
rollback;
