-- Smoke test 1 (task-002): a history record with every column filled in can be inserted and
-- read back unchanged; the defaults fill id and changed_at.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;

select plan(6);

-- Fixtures ------------------------------------------------------------------------------------
insert into auth.users (id, email) values
    ('00000000-0000-4000-b003-000000000001', 'coordinator.001@test.example');
insert into public.organisations (id, name) values
    ('00000000-0000-4000-b001-000000000001', 'Test organisation 001');
insert into public.peer_mentors (id, organisation_id, display_name) values
    ('00000000-0000-4000-b004-000000000001', '00000000-0000-4000-b001-000000000001', 'Test mentor 001');

-- Tests ---------------------------------------------------------------------------------------
select lives_ok(
    $$insert into public.peer_mentor_status_history
          (id, mentor_id, previous_status, new_status, changed_by, changed_at, reason, job_run_id)
      values
          ('00000000-0000-4000-b005-000000000001', '00000000-0000-4000-b004-000000000001',
           'active', 'paused', '00000000-0000-4000-b003-000000000001',
           '2026-11-01 10:00:00+00', 'coordinator_manual_pause', '00000000-0000-4000-b006-000000000001')$$,
    'a history record with every column set can be inserted'
);

select results_eq(
    $$select mentor_id, previous_status, new_status, changed_by, changed_at, reason, job_run_id
      from public.peer_mentor_status_history
      where id = '00000000-0000-4000-b005-000000000001'$$,
    $$values ('00000000-0000-4000-b004-000000000001'::uuid, 'active'::public.mentor_status,
              'paused'::public.mentor_status, '00000000-0000-4000-b003-000000000001'::uuid,
              '2026-11-01 10:00:00+00'::timestamptz, 'coordinator_manual_pause'::text,
              '00000000-0000-4000-b006-000000000001'::uuid)$$,
    'the record reads back with exactly the values written'
);

-- The mentor's own initial record was written by the insert above (issue 10); the record below is
-- told apart from it by id.
create temp table records_before as select id from public.peer_mentor_status_history;

select lives_ok(
    $$insert into public.peer_mentor_status_history (mentor_id, new_status, reason)
      values ('00000000-0000-4000-b004-000000000001', 'active', 'initial_status')$$,
    'a record with only the required columns (initial status) can be inserted'
);

select isnt(
    (select id from public.peer_mentor_status_history
     where mentor_id = '00000000-0000-4000-b004-000000000001' and reason = 'initial_status'
       and id not in (select id from records_before)),
    null,
    'id defaults to a generated uuid'
);

select is(
    (select changed_at from public.peer_mentor_status_history
     where mentor_id = '00000000-0000-4000-b004-000000000001' and reason = 'initial_status'
       and id not in (select id from records_before)),
    now(),
    'changed_at defaults to now()'
);

select is(
    (select count(*)::int from public.peer_mentor_status_history
     where mentor_id = '00000000-0000-4000-b004-000000000001'),
    3,
    'all records of the mentor are retrievable (both above, and the initial record its insert wrote)'
);

select * from finish();
rollback;
