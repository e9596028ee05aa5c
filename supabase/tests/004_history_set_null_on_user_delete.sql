-- Smoke test 4 (task-002): deleting the auth user who made a change keeps the history record and
-- sets its changed_by to NULL (ON DELETE SET NULL), despite the append-only trigger; nothing
-- else in the record changes.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;

select plan(5);

-- Fixtures ------------------------------------------------------------------------------------
insert into auth.users (id, email) values
    ('00000000-0000-4000-b003-000000000041', 'coordinator.004@test.example'),
    ('00000000-0000-4000-b003-000000000042', 'other.coordinator.004@test.example');
insert into public.organisations (id, name) values
    ('00000000-0000-4000-b001-000000000004', 'Test organisation 004');
insert into public.peer_mentors (id, organisation_id, display_name) values
    ('00000000-0000-4000-b004-000000000004', '00000000-0000-4000-b001-000000000004', 'Test mentor 004');
insert into public.peer_mentor_status_history (id, mentor_id, previous_status, new_status, changed_by, changed_at, reason) values
    ('00000000-0000-4000-b005-000000000041', '00000000-0000-4000-b004-000000000004', 'active', 'paused',
     '00000000-0000-4000-b003-000000000041', '2026-11-02 09:00:00+00', 'coordinator_manual_pause'),
    ('00000000-0000-4000-b005-000000000042', '00000000-0000-4000-b004-000000000004', 'paused', 'active',
     '00000000-0000-4000-b003-000000000042', '2026-11-03 09:00:00+00', 'coordinator_resume');

create temp table record_before_user_delete as
    select * from public.peer_mentor_status_history where id = '00000000-0000-4000-b005-000000000041';

-- Tests ---------------------------------------------------------------------------------------
select lives_ok(
    $$delete from auth.users where id = '00000000-0000-4000-b003-000000000041'$$,
    'the auth user who made the change can be deleted'
);

select is(
    (select changed_by from public.peer_mentor_status_history where id = '00000000-0000-4000-b005-000000000041'),
    null,
    'the history record survives with changed_by NULL (ON DELETE SET NULL)'
);

select results_eq(
    $$select id, mentor_id, previous_status, new_status, changed_at, reason, job_run_id
      from public.peer_mentor_status_history where id = '00000000-0000-4000-b005-000000000041'$$,
    $$select id, mentor_id, previous_status, new_status, changed_at, reason, job_run_id
      from record_before_user_delete$$,
    'every other column of the record is unchanged'
);

select is(
    (select changed_by from public.peer_mentor_status_history where id = '00000000-0000-4000-b005-000000000042'),
    '00000000-0000-4000-b003-000000000042'::uuid,
    'records made by other users keep their changed_by'
);

select is(
    (select count(*)::int from public.peer_mentor_status_history where mentor_id = '00000000-0000-4000-b004-000000000004'),
    3,
    'no history record was deleted (the initial record the insert wrote, and the two changes)'
);

select * from finish();
rollback;
