-- Bad input to the status-change functions (task-003): each is refused with its own SQLSTATE
-- and a clear message, and nothing is written (history and status unchanged).
--   MS400 NULL argument   MS401 no user   MS403 reason code not yours   MS404 mentor not found
--   MS409 transition not allowed   MS422 unknown reason code   42501 no EXECUTE privilege
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;

select plan(21);

-- Fixtures ------------------------------------------------------------------------------------
insert into auth.users (id, email) values
    ('00000000-0000-4000-d003-000000000001', 'mentor.021@test.example'),
    ('00000000-0000-4000-d003-000000000011', 'coordinator.021@test.example');
insert into public.organisations (id, name) values
    ('00000000-0000-4000-d001-000000000001', 'Test organisation 021');
insert into public.chapters (id, organisation_id, name) values
    ('00000000-0000-4000-d002-000000000001', '00000000-0000-4000-d001-000000000001', 'Test chapter 021');
insert into public.peer_mentors (id, user_id, organisation_id, display_name, deleted_at) values
    ('00000000-0000-4000-d004-000000000001', '00000000-0000-4000-d003-000000000001', '00000000-0000-4000-d001-000000000001', 'Mentor 021', null),
    ('00000000-0000-4000-d004-000000000002', null, '00000000-0000-4000-d001-000000000001', 'Soft-deleted mentor 021', now() - interval '1 day');
insert into public.chapter_memberships (mentor_id, chapter_id) values
    ('00000000-0000-4000-d004-000000000001', '00000000-0000-4000-d002-000000000001'),
    ('00000000-0000-4000-d004-000000000002', '00000000-0000-4000-d002-000000000001');
insert into public.coordinator_assignments (user_id, chapter_id) values
    ('00000000-0000-4000-d003-000000000011', '00000000-0000-4000-d002-000000000001');
-- Each mentor's initial_status record is written by the insert above (issue 10).

create temp table state_before as
select (select count(*) from public.peer_mentor_status_history) as history_records,
       (select array_agg(status order by id) from public.peer_mentors) as statuses;
grant select on state_before to authenticated, service_role;

-- As the mentor -------------------------------------------------------------------------------
set local role authenticated;
set local request.jwt.claims = '{"sub":"00000000-0000-4000-d003-000000000001","role":"authenticated"}';

select throws_ok(
    $$select public.change_mentor_status('00000000-0000-4000-d004-000000000001', 'paused', 'feeling_unwell')$$,
    'MS422', 'change_mentor_status: unknown reason code "feeling_unwell"',
    'an unknown reason code is refused (MS422)');
select throws_ok(
    $$select public.change_mentor_status('00000000-0000-4000-d004-000000000001', 'paused', 'coordinator_manual_pause')$$,
    'MS403', 'change_mentor_status: reason "coordinator_manual_pause" may not be used by you for this mentor',
    'a coordinator code used by the mentor is refused (MS403)');
select throws_ok(
    $$select public.change_mentor_status('00000000-0000-4000-d004-000000000001', 'paused', 'certification_expired')$$,
    'MS403', null,
    'a system code through the rpc is refused (MS403)');
select throws_ok(
    $$select public.change_mentor_status('00000000-0000-4000-d004-000000000001', 'active', 'self_resume')$$,
    'MS409', 'change_mentor_status: reason "self_resume" does not allow active -> active',
    'an illegal transition (resume an active mentor) is refused (MS409)');
select throws_ok(
    $$select public.change_mentor_status('00000000-0000-4000-d004-000000000001', 'inactive', 'self_pause')$$,
    'MS409', null,
    'a reason code used for a status it does not lead to is refused (MS409)');
select throws_ok(
    $$select public.change_mentor_status('00000000-0000-4000-dfff-000000000404', 'paused', 'self_pause')$$,
    'MS404', 'change_mentor_status: mentor 00000000-0000-4000-dfff-000000000404 not found',
    'a mentor that does not exist is refused (MS404)');
select throws_ok(
    $$select public.change_mentor_status('00000000-0000-4000-d004-000000000001', null, 'self_pause')$$,
    'MS400', 'change_mentor_status: mentor id, new status and reason are all required',
    'a NULL status is refused (MS400)');
select throws_ok(
    $$select public.change_mentor_status('00000000-0000-4000-d004-000000000001', 'paused', null)$$,
    'MS400', null,
    'a NULL reason is refused (MS400)');
select throws_ok(
    $$select public.change_mentor_status(null, 'paused', 'self_pause')$$,
    'MS400', null,
    'a NULL mentor id is refused (MS400)');
select throws_ok(
    $$select public.change_mentor_status('00000000-0000-4000-d004-000000000001', 'unwell', 'self_pause')$$,
    '22P02', null,
    'a status outside the enum is refused by PostgreSQL itself (22P02)');
select throws_ok(
    $$select mentor_status_private.record_system_status_change('00000000-0000-4000-d004-000000000001', 'paused', 'certification_expired', null)$$,
    '42501', null,
    'an authenticated user cannot call the system path (42501)');

-- As the coordinator: a soft-deleted mentor is not found ------------------------------------------
set local request.jwt.claims = '{"sub":"00000000-0000-4000-d003-000000000011","role":"authenticated"}';
select throws_ok(
    $$select public.change_mentor_status('00000000-0000-4000-d004-000000000002', 'paused', 'coordinator_manual_pause')$$,
    'MS404', null,
    'a soft-deleted mentor is refused (MS404), even for their coordinator');

-- Without a user --------------------------------------------------------------------------------
set local request.jwt.claims = '{"role":"authenticated"}';
select throws_ok(
    $$select public.change_mentor_status('00000000-0000-4000-d004-000000000001', 'paused', 'self_pause')$$,
    'MS401', 'change_mentor_status: no authenticated user',
    'a call without a user id is refused (MS401)');

-- The system path, as service_role ------------------------------------------------------------------
set local role service_role;
set local request.jwt.claims = '{"role":"service_role"}';
select throws_ok(
    $$select mentor_status_private.record_system_status_change('00000000-0000-4000-d004-000000000001', 'paused', 'self_pause', null)$$,
    'MS403', null,
    'the system path refuses a mentor code (MS403)');
select throws_ok(
    $$select mentor_status_private.record_system_status_change('00000000-0000-4000-d004-000000000001', 'paused', 'heart_condition', null)$$,
    'MS422', null,
    'the system path refuses an unknown reason code (MS422)');
select throws_ok(
    $$select mentor_status_private.record_system_status_change('00000000-0000-4000-dfff-000000000404', 'paused', 'certification_expired', null)$$,
    'MS404', null,
    'the system path refuses a mentor that does not exist (MS404)');
select throws_ok(
    $$select mentor_status_private.record_system_status_change('00000000-0000-4000-d004-000000000001', 'active', 'certification_renewed', null)$$,
    'MS409', null,
    'the system path refuses an illegal transition (MS409)');
select throws_ok(
    $$select mentor_status_private.record_system_status_change('00000000-0000-4000-d004-000000000001', 'active', 'initial_status', null)$$,
    'MS409', null,
    'the system path refuses a second initial_status record (MS409)');
select throws_ok(
    $$select public.change_mentor_status('00000000-0000-4000-d004-000000000001', 'paused', 'self_pause')$$,
    '42501', null,
    'service_role cannot call the user rpc (42501): it uses the system path');
reset role;

-- Nothing was written ---------------------------------------------------------------------------
select is((select count(*) from public.peer_mentor_status_history), (select history_records from state_before),
    'no history record was written by any refused call');
select is((select array_agg(status order by id) from public.peer_mentors), (select statuses from state_before),
    'no mentor''s status was changed by any refused call');

select * from finish();
rollback;
