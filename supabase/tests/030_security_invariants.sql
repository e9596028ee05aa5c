-- Security invariants the project checks on itself (task-003). They hold for every object, so a
-- new table or function that breaks one fails this test.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;

select plan(14);

-- 1. Every table in public has row-level security enabled (Supabase's default privileges grant
--    the API roles ALL on every new public table; RLS is what keeps PostgREST from serving it).
select is_empty(
    $$select c.relname from pg_class c
      where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p') and not c.relrowsecurity$$,
    'every table in public has row-level security enabled');

-- 2. No policy calls auth.uid() (or auth.jwt(), auth.role()) unwrapped: it must read
--    (select auth.uid()) so that it is evaluated once per statement, not once per row.
--    PostgreSQL stores the wrapped form as "( SELECT auth.uid() AS uid)".
select is_empty(
    $$select schemaname || '.' || tablename || ': ' || policyname from pg_policies
      where coalesce(qual, '') ~ '(?<!SELECT )auth\.(uid|jwt|role)\(\)'
         or coalesce(with_check, '') ~ '(?<!SELECT )auth\.(uid|jwt|role)\(\)'$$,
    'no policy calls auth.uid(), auth.jwt() or auth.role() without wrapping it in (select ...)');

select is_empty(
    $$select schemaname || '.' || tablename || ': ' || policyname from pg_policies
      where schemaname = 'public' and roles <> array['authenticated']::name[]$$,
    'every policy in public names its role: to authenticated');

-- 3. Every security definer function of the application has a fixed search_path. Checked in the
--    schemas the application owns (public, graphql_public and mentor_status_*), not in the
--    platform's own schemas (auth, storage, extensions, ...).
select is_empty(
    $$select p.oid::regprocedure::text from pg_proc p
      where p.prosecdef
        and (p.pronamespace::regnamespace::text in ('public', 'graphql_public')
             or p.pronamespace::regnamespace::text like 'mentor\_status%')
        and not exists (select 1 from unnest(coalesce(p.proconfig, '{}')) as setting
                        where setting like 'search\_path=%')$$,
    'every security definer function has a fixed search_path');

-- 4. No security definer function sits in a schema PostgREST exposes (public, graphql_public),
--    with ONE deliberate exception: public.change_mentor_status is the rpc entry point for status
--    changes, so it must be in public and must be security definer (it writes the history table,
--    on which authenticated has no INSERT). It is safe because it takes no identity from its
--    arguments (the actor is auth.uid()), checks the caller itself, has an empty search_path, and
--    only authenticated may execute it (checked below).
select results_eq(
    $$select p.oid::regprocedure::text from pg_proc p
      where p.prosecdef and p.pronamespace::regnamespace::text in ('public', 'graphql_public')
      order by 1$$,
    $$values ('change_mentor_status(uuid,mentor_status,text)'::text)$$,
    'the only security definer function in an exposed schema is the rpc public.change_mentor_status');
select ok(
    (select not prosecdef or proconfig @> array['search_path=pg_catalog, pg_temp'] from pg_proc
     where oid = 'public.change_mentor_status(uuid, public.mentor_status, text)'::regprocedure),
    'change_mentor_status, while security definer, runs with search_path pg_catalog, pg_temp (issue 10: pg_temp last)');
select ok(
    has_function_privilege('authenticated', 'public.change_mentor_status(uuid, public.mentor_status, text)', 'EXECUTE')
    and not has_function_privilege('anon', 'public.change_mentor_status(uuid, public.mentor_status, text)', 'EXECUTE')
    and not has_function_privilege('service_role', 'public.change_mentor_status(uuid, public.mentor_status, text)', 'EXECUTE'),
    'change_mentor_status is executable by authenticated only (not anon, not service_role)');
select ok(
    not has_schema_privilege('anon', 'mentor_status_private', 'USAGE'),
    'anon cannot use the private helper schema');
select ok(
    has_function_privilege('service_role', 'mentor_status_private.record_system_status_change(uuid, public.mentor_status, text, uuid)', 'EXECUTE')
    and not has_function_privilege('authenticated', 'mentor_status_private.record_system_status_change(uuid, public.mentor_status, text, uuid)', 'EXECUTE')
    and not has_function_privilege('anon', 'mentor_status_private.record_system_status_change(uuid, public.mentor_status, text, uuid)', 'EXECUTE'),
    'the system path is executable by service_role only');

-- 5. anon and authenticated cannot touch the history table except through the policies:
--    no INSERT, UPDATE, DELETE, TRUNCATE (authenticated may SELECT, filtered by RLS).
select ok(not has_table_privilege('anon', 'public.peer_mentor_status_history', 'INSERT'), 'anon cannot INSERT history');
select ok(not has_table_privilege('anon', 'public.peer_mentor_status_history', 'UPDATE, DELETE, TRUNCATE'), 'anon cannot UPDATE, DELETE or TRUNCATE history');
select ok(not has_table_privilege('authenticated', 'public.peer_mentor_status_history', 'INSERT'), 'authenticated cannot INSERT history');
select ok(not has_table_privilege('authenticated', 'public.peer_mentor_status_history', 'UPDATE, DELETE, TRUNCATE'), 'authenticated cannot UPDATE, DELETE or TRUNCATE history');

-- 6. Every column a policy filters on leads an index.
select is_empty(
    $$select t.table_name || '.' || t.column_name
      from (values ('peer_mentors', 'user_id'),
                   ('chapter_memberships', 'mentor_id'),
                   ('chapter_memberships', 'chapter_id'),
                   ('coordinator_assignments', 'user_id'),
                   ('coordinator_assignments', 'chapter_id'),
                   ('chapters', 'organisation_id'),
                   ('peer_mentors', 'organisation_id'),
                   ('peer_mentor_status_history', 'mentor_id')) as t (table_name, column_name)
      where not exists (
          select 1 from pg_index i
          join pg_attribute a on a.attrelid = i.indrelid and a.attnum = i.indkey[0]
          where i.indrelid = ('public.' || t.table_name)::regclass and a.attname = t.column_name
            and i.indisvalid and i.indpred is null)$$,
    'every column the policies filter on leads a valid index');

select * from finish();
rollback;
