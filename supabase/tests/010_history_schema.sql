-- peer_mentor_status_history is exactly as the seed lists it (task-002): columns, types,
-- defaults, nullability, both foreign keys with their delete actions, the reason codes check,
-- the two indexes, the comments, RLS, the append-only triggers and the privileges.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;

select plan(51);

-- The comment of a column of the history table, by name.
create function pg_temp.history_column_comment(column_name text)
returns text
language sql
as $$
    select col_description(a.attrelid, a.attnum)
    from pg_attribute a
    where a.attrelid = 'public.peer_mentor_status_history'::regclass
      and a.attname = column_name
$$;

-- Table and columns ---------------------------------------------------------------------------
select has_table('public', 'peer_mentor_status_history', 'table peer_mentor_status_history exists');
select columns_are('public', 'peer_mentor_status_history',
    array['id', 'mentor_id', 'previous_status', 'new_status', 'changed_by', 'changed_at', 'reason', 'job_run_id'],
    'exactly the seed''s eight columns');
select enum_has_labels('public', 'mentor_status', array['active', 'paused', 'inactive'],
    'mentor_status (task-001) has labels active, paused, inactive');

select col_type_is('public', 'peer_mentor_status_history', 'id', 'uuid', 'id is uuid');
select col_type_is('public', 'peer_mentor_status_history', 'mentor_id', 'uuid', 'mentor_id is uuid');
select col_type_is('public', 'peer_mentor_status_history', 'previous_status', 'public', 'mentor_status', 'previous_status is mentor_status');
select col_type_is('public', 'peer_mentor_status_history', 'new_status', 'public', 'mentor_status', 'new_status is mentor_status');
select col_type_is('public', 'peer_mentor_status_history', 'changed_by', 'uuid', 'changed_by is uuid');
select col_type_is('public', 'peer_mentor_status_history', 'changed_at', 'timestamp with time zone', 'changed_at is timestamptz');
select col_type_is('public', 'peer_mentor_status_history', 'reason', 'text', 'reason is text');
select col_type_is('public', 'peer_mentor_status_history', 'job_run_id', 'uuid', 'job_run_id is uuid');

select col_not_null('public', 'peer_mentor_status_history', 'id', 'id is NOT NULL');
select col_not_null('public', 'peer_mentor_status_history', 'mentor_id', 'mentor_id is NOT NULL');
select col_is_null('public', 'peer_mentor_status_history', 'previous_status', 'previous_status is NULL-able (initial status)');
select col_not_null('public', 'peer_mentor_status_history', 'new_status', 'new_status is NOT NULL');
select col_is_null('public', 'peer_mentor_status_history', 'changed_by', 'changed_by is NULL-able (system actions)');
select col_not_null('public', 'peer_mentor_status_history', 'changed_at', 'changed_at is NOT NULL');
select col_is_null('public', 'peer_mentor_status_history', 'reason', 'reason is NULL-able');
select col_is_null('public', 'peer_mentor_status_history', 'job_run_id', 'job_run_id is NULL-able');

select col_is_pk('public', 'peer_mentor_status_history', 'id', 'id is the primary key');
select col_default_is('public', 'peer_mentor_status_history', 'id', 'gen_random_uuid()', 'id defaults to gen_random_uuid()');
select col_default_is('public', 'peer_mentor_status_history', 'changed_at', 'now()', 'changed_at defaults to now()');
select col_hasnt_default('public', 'peer_mentor_status_history', 'changed_by', 'changed_by has no default');

-- Foreign keys --------------------------------------------------------------------------------
select fk_ok('public', 'peer_mentor_status_history', 'mentor_id', 'public', 'peer_mentors', 'id',
    'mentor_id references peer_mentors(id)');
select fk_ok('public', 'peer_mentor_status_history', 'changed_by', 'auth', 'users', 'id',
    'changed_by references auth.users(id)');
select is(
    (select confrelid::regclass::text || ' ' || confdeltype::text
     from pg_constraint
     where conrelid = 'public.peer_mentor_status_history'::regclass and contype = 'f'
       and conkey = array[(select attnum from pg_attribute
                           where attrelid = 'public.peer_mentor_status_history'::regclass and attname = 'mentor_id')]),
    'peer_mentors c',
    'mentor_id references peer_mentors ON DELETE CASCADE'
);
select is(
    (select confrelid::regclass::text || ' ' || confdeltype::text
     from pg_constraint
     where conrelid = 'public.peer_mentor_status_history'::regclass and contype = 'f'
       and conkey = array[(select attnum from pg_attribute
                           where attrelid = 'public.peer_mentor_status_history'::regclass and attname = 'changed_by')]),
    'auth.users n',
    'changed_by references auth.users ON DELETE SET NULL'
);
select is(
    (select confrelid::regclass::text
     from pg_constraint
     where conrelid = 'public.peer_mentor_status_history'::regclass and contype = 'f'
       and conkey = array[(select attnum from pg_attribute
                           where attrelid = 'public.peer_mentor_status_history'::regclass and attname = 'reason')]),
    'mentor_status_reason_codes',
    'reason references mentor_status_reason_codes (free text is refused)'
);
select ok(
    (select count(*) = 3 from public.mentor_status_reason_codes
     where code in ('certification_expired', 'coordinator_manual_pause', 'self_pause')),
    'the predefined codes named by the seed exist'
);

-- Indexes -------------------------------------------------------------------------------------
select is(
    (select pg_get_expr(indpred, indrelid) from pg_index
     where indexrelid = 'public.peer_mentor_status_history_job_run_id_idx'::regclass),
    '(job_run_id IS NOT NULL)',
    'the job_run_id index is partial: WHERE job_run_id IS NOT NULL'
);
select is(
    (select array_agg(a.attname::text order by k.ord)
     from pg_index i
     cross join lateral unnest(i.indkey) with ordinality as k(attnum, ord)
     join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum
     where i.indexrelid = 'public.peer_mentor_status_history_job_run_id_idx'::regclass),
    array['job_run_id'],
    'the partial index is on job_run_id'
);
select matches(
    pg_get_indexdef('public.peer_mentor_status_history_mentor_id_changed_at_idx'::regclass),
    'ON public\.peer_mentor_status_history USING btree \(mentor_id, changed_at DESC\)$',
    'the timeline index is on (mentor_id, changed_at DESC)'
);
select ok(
    (select indisvalid and indisready from pg_index
     where indexrelid = 'public.peer_mentor_status_history_mentor_id_changed_at_idx'::regclass),
    'the timeline index (built concurrently) is valid'
);

-- Comments ------------------------------------------------------------------------------------
select ok(obj_description('public.peer_mentor_status_history'::regclass, 'pg_class') ilike '%append-only%',
    'the table comment says it is append-only');
select ok(pg_temp.history_column_comment('changed_by') ilike '%NULL = automated system action%',
    'the changed_by comment says NULL = automated system action');
select ok(pg_temp.history_column_comment('mentor_id') ilike '%right-to-erasure%'
          and pg_temp.history_column_comment('mentor_id') ilike '%soft delete%',
    'the mentor_id comment explains the GDPR cascade and that soft delete is preferred');
select ok(pg_temp.history_column_comment('reason') ilike '%codes%'
          and pg_temp.history_column_comment('reason') ilike '%health%',
    'the reason comment says: predefined codes only, never health information');
select ok(pg_temp.history_column_comment('job_run_id') is not null,
    'job_run_id has a comment');

-- Append-only triggers --------------------------------------------------------------------------
select has_trigger('public', 'peer_mentor_status_history', 'peer_mentor_status_history_refuse_update', 'BEFORE UPDATE trigger exists');
select has_trigger('public', 'peer_mentor_status_history', 'peer_mentor_status_history_refuse_delete', 'BEFORE DELETE trigger exists');
select has_trigger('public', 'peer_mentor_status_history', 'peer_mentor_status_history_refuse_truncate', 'BEFORE TRUNCATE trigger exists');

-- Not exposed: RLS, policies, privileges ---------------------------------------------------------
select ok((select relrowsecurity from pg_class where oid = 'public.peer_mentor_status_history'::regclass),
    'row-level security is enabled');
-- task-002 defines no policy; task-003 adds exactly one, a read policy for authenticated.
select policies_are('public', 'peer_mentor_status_history', array['peer_mentor_status_history_select_visible'],
    'the only policy is task-003''s read policy');
select policy_cmd_is('public', 'peer_mentor_status_history', 'peer_mentor_status_history_select_visible', 'select',
    'the policy is for SELECT only');
select policy_roles_are('public', 'peer_mentor_status_history', 'peer_mentor_status_history_select_visible', array['authenticated'],
    'the policy applies to authenticated only');

select table_privs_are('public', 'peer_mentor_status_history', 'anon', array[]::text[],
    'anon has no privilege at all on the history table');
select table_privs_are('public', 'peer_mentor_status_history', 'authenticated', array['SELECT'],
    'authenticated may only SELECT (rows limited by RLS): no INSERT, UPDATE, DELETE, TRUNCATE');
select table_privs_are('public', 'peer_mentor_status_history', 'service_role', array['SELECT'],
    'service_role may only SELECT: no INSERT, UPDATE, DELETE, TRUNCATE');
select ok(
    not has_table_privilege('anon', 'public.peer_mentor_status_history', 'UPDATE, DELETE, TRUNCATE')
    and not has_table_privilege('authenticated', 'public.peer_mentor_status_history', 'UPDATE, DELETE, TRUNCATE')
    and not has_table_privilege('service_role', 'public.peer_mentor_status_history', 'UPDATE, DELETE, TRUNCATE'),
    'no API role can UPDATE, DELETE or TRUNCATE the history table'
);
select ok(
    not has_table_privilege('public', 'public.peer_mentor_status_history', 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE'),
    'PUBLIC has no privilege on the history table'
);
select ok(
    not has_function_privilege('anon', 'public.peer_mentor_status_history_refuse_update()', 'EXECUTE')
    and not has_function_privilege('authenticated', 'public.peer_mentor_status_history_refuse_delete()', 'EXECUTE')
    and not has_function_privilege('service_role', 'public.peer_mentor_status_history_refuse_truncate()', 'EXECUTE'),
    'the trigger functions are not executable by the API roles'
);

select * from finish();
rollback;
