-- The in-app inbox (issue 11): a coordinator reads and marks read only their own rows; anon sees
-- nothing; no API role inserts, updates or deletes; mark_notification_read is the only write.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;
select plan(26);

-- Fixtures: coordinators A and B, one job run, one notification and inbox row each.
insert into auth.users (id, email) values
    ('00000000-0000-4000-d011-00000000000a', 'inbox_a@test.example'),
    ('00000000-0000-4000-d011-00000000000b', 'inbox_b@test.example');
insert into public.organisations (id, name) values ('00000000-0000-4000-d011-000000000001', 'Inbox organisation');
insert into public.peer_mentors (id, organisation_id, display_name) values
    ('00000000-0000-4000-d011-000000000100', '00000000-0000-4000-d011-000000000001', 'Inbox mentor');
insert into public.status_job_runs (id, job_name, as_of, batch_size, outcome, finished_at) values
    ('00000000-0000-4000-d011-000000000200', 'certification_expiry', now(), 10, 'succeeded', now());
insert into public.coordinator_notifications (id, job_run_id, coordinator_user_id, mentor_ids) values
    ('00000000-0000-4000-d011-0000000003aa', '00000000-0000-4000-d011-000000000200', '00000000-0000-4000-d011-00000000000a', '{00000000-0000-4000-d011-000000000100}'),
    ('00000000-0000-4000-d011-0000000003bb', '00000000-0000-4000-d011-000000000200', '00000000-0000-4000-d011-00000000000b', '{00000000-0000-4000-d011-000000000100}');
insert into public.coordinator_inbox (notification_id, user_id, job_run_id, reason, mentor_ids) values
    ('00000000-0000-4000-d011-0000000003aa', '00000000-0000-4000-d011-00000000000a', '00000000-0000-4000-d011-000000000200', 'certification_expired', '{00000000-0000-4000-d011-000000000100}'),
    ('00000000-0000-4000-d011-0000000003bb', '00000000-0000-4000-d011-00000000000b', '00000000-0000-4000-d011-000000000200', 'certification_expired', '{00000000-0000-4000-d011-000000000100}');

-- Privileges ------------------------------------------------------------------------------------------
select ok((select relrowsecurity from pg_class where oid = 'public.coordinator_inbox'::regclass), 'RLS is on for the inbox');
select ok(not has_table_privilege('anon', 'public.coordinator_inbox', 'SELECT'), 'anon cannot SELECT the inbox');
select ok(not has_table_privilege('anon', 'public.coordinator_inbox', 'INSERT, UPDATE, DELETE, TRUNCATE'), 'anon cannot write the inbox');
select ok(not has_table_privilege('authenticated', 'public.coordinator_inbox', 'INSERT, UPDATE, DELETE, TRUNCATE'), 'authenticated cannot write the inbox directly');
select ok(not has_table_privilege('service_role', 'public.coordinator_inbox', 'INSERT, UPDATE, DELETE, TRUNCATE'), 'service_role only reads the inbox');
select ok(not has_function_privilege('anon', 'public.mark_notification_read(uuid)', 'EXECUTE'), 'anon cannot call mark_notification_read');
select ok(has_function_privilege('authenticated', 'public.mark_notification_read(uuid)', 'EXECUTE'), 'authenticated may call mark_notification_read');
select ok(not has_table_privilege('authenticated', 'public.coordinator_notification_deliveries', 'SELECT'), 'delivery outcomes are not for the API roles');
select is((select prosecdef from pg_proc where oid = 'mentor_status_private.mark_inbox_row_read(uuid)'::regprocedure), true, 'the helper is security definer');
select is((select proconfig from pg_proc where oid = 'mentor_status_private.mark_inbox_row_read(uuid)'::regprocedure),
          array['search_path=pg_catalog, pg_temp'], 'the definer helper pins search_path = pg_catalog, pg_temp');

-- anon -------------------------------------------------------------------------------------------------
set local role anon;
select set_config('request.jwt.claims', '{"role":"anon"}', true);
select throws_ok($$select count(*) from public.coordinator_inbox$$, '42501', null, 'anon: reading the inbox is refused');
select throws_ok($$select public.mark_notification_read('00000000-0000-4000-d011-0000000003aa')$$, '42501', null, 'anon: marking read is refused');
reset role;

-- Coordinator A ----------------------------------------------------------------------------------------
set local role authenticated;
select set_config('request.jwt.claims', '{"sub":"00000000-0000-4000-d011-00000000000a","role":"authenticated"}', true);
select results_eq($$select notification_id from public.coordinator_inbox$$,
                  $$values ('00000000-0000-4000-d011-0000000003aa'::uuid)$$, 'A reads exactly their own row');
select is_empty($$select 1 from public.coordinator_inbox where user_id = '00000000-0000-4000-d011-00000000000b'$$, 'A does not see B''s row');
select throws_ok($$insert into public.coordinator_inbox (notification_id, user_id, job_run_id, reason, mentor_ids)
                  values ('00000000-0000-4000-d011-0000000003bb', '00000000-0000-4000-d011-00000000000a', '00000000-0000-4000-d011-000000000200', 'certification_expired', '{00000000-0000-4000-d011-000000000100}')$$,
                 '42501', null, 'A cannot insert an inbox row');
select throws_ok($$update public.coordinator_inbox set read_at = now()$$, '42501', null, 'A cannot update the inbox directly');
select throws_ok($$delete from public.coordinator_inbox$$, '42501', null, 'A cannot delete inbox rows');
select isnt(public.mark_notification_read('00000000-0000-4000-d011-0000000003aa'), null, 'A marks their own notification read');
select ok((select read_at is not null from public.coordinator_inbox where notification_id = '00000000-0000-4000-d011-0000000003aa'), 'A''s row is read');
select is(public.mark_notification_read('00000000-0000-4000-d011-0000000003aa'),
          (select read_at from public.coordinator_inbox where notification_id = '00000000-0000-4000-d011-0000000003aa'),
          'marking again keeps the first read_at');
select throws_ok($$select public.mark_notification_read('00000000-0000-4000-d011-0000000003bb')$$, 'MS404', null,
                 'A cannot mark B''s notification read (same error as for a missing one)');
select throws_ok($$select public.mark_notification_read('00000000-0000-4000-d011-0000000003cc')$$, 'MS404', null,
                 'a notification that does not exist: MS404');
select throws_ok($$select mentor_status_private.mark_inbox_row_read('00000000-0000-4000-d011-0000000003bb')$$, 'MS404', null,
                 'calling the private helper directly gives nothing more');
reset role;
select is((select read_at from public.coordinator_inbox where notification_id = '00000000-0000-4000-d011-0000000003bb'), null, 'B''s row is still unread');

-- Coordinator B ----------------------------------------------------------------------------------------
set local role authenticated;
select set_config('request.jwt.claims', '{"sub":"00000000-0000-4000-d011-00000000000b","role":"authenticated"}', true);
select results_eq($$select notification_id from public.coordinator_inbox$$,
                  $$values ('00000000-0000-4000-d011-0000000003bb'::uuid)$$, 'B reads exactly their own row');
-- A signed-in user who coordinates nothing sees nothing.
select set_config('request.jwt.claims', '{"sub":"00000000-0000-4000-d011-0000000000ff","role":"authenticated"}', true);
select is_empty($$select 1 from public.coordinator_inbox$$, 'someone else sees no inbox row');
reset role;

select * from finish();
rollback;
