-- Smoke test 2 (task-002): a system action (changed_by NULL, with a job run id) is accepted, and
-- the sanctioned system path (task-003) writes exactly such a record.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;

select plan(8);

-- Fixtures ------------------------------------------------------------------------------------
insert into public.organisations (id, name) values
    ('00000000-0000-4000-b001-000000000002', 'Test organisation 002');
insert into public.peer_mentors (id, organisation_id, display_name, certification_expires_at) values
    ('00000000-0000-4000-b004-000000000002', '00000000-0000-4000-b001-000000000002', 'Test mentor 002a', now() - interval '1 day'),
    ('00000000-0000-4000-b004-000000000003', '00000000-0000-4000-b001-000000000002', 'Test mentor 002b', now() - interval '1 day');

-- Tests ---------------------------------------------------------------------------------------
select lives_ok(
    $$insert into public.peer_mentor_status_history
          (id, mentor_id, previous_status, new_status, changed_by, reason, job_run_id)
      values
          ('00000000-0000-4000-b005-000000000002', '00000000-0000-4000-b004-000000000002',
           'active', 'paused', null, 'certification_expired', '00000000-0000-4000-b006-000000000002')$$,
    'a record with changed_by NULL (automated system action) can be inserted'
);

select results_eq(
    $$select changed_by, reason, job_run_id from public.peer_mentor_status_history
      where id = '00000000-0000-4000-b005-000000000002'$$,
    $$values (null::uuid, 'certification_expired'::text, '00000000-0000-4000-b006-000000000002'::uuid)$$,
    'the system record reads back with changed_by NULL and its job run id'
);

select results_eq(
    $$select id from public.peer_mentor_status_history
      where job_run_id = '00000000-0000-4000-b006-000000000002'$$,
    $$values ('00000000-0000-4000-b005-000000000002'::uuid)$$,
    'the record is found by its job run id'
);

-- The sanctioned system path, as service_role would call it.
set local role service_role;
set local request.jwt.claims = '{"role":"service_role"}';

select lives_ok(
    $$select mentor_status_private.record_system_status_change(
          '00000000-0000-4000-b004-000000000003', 'paused', 'certification_expired',
          '00000000-0000-4000-b006-000000000003')$$,
    'service_role can record a system status change through mentor_status_private.record_system_status_change'
);

reset role;

select results_eq(
    $$select previous_status, new_status, changed_by, reason, job_run_id
      from public.peer_mentor_status_history
      where mentor_id = '00000000-0000-4000-b004-000000000003'
      order by changed_at$$,
    $$values (null::public.mentor_status, 'active'::public.mentor_status, null::uuid, 'initial_status'::text, null::uuid),
             ('active'::public.mentor_status, 'paused'::public.mentor_status, null::uuid,
              'certification_expired'::text, '00000000-0000-4000-b006-000000000003'::uuid)$$,
    'after the initial record the insert wrote, the system path wrote changed_by NULL, the job run id and the previous status'
);

select is(
    (select status from public.peer_mentors where id = '00000000-0000-4000-b004-000000000003'),
    'paused'::public.mentor_status,
    'the system path updated the mentor''s status'
);

select isnt(
    (select status_changed_at from public.peer_mentors where id = '00000000-0000-4000-b004-000000000003'),
    null,
    'the system path set status_changed_at'
);

select throws_ok(
    $$select mentor_status_private.record_system_status_change(
          '00000000-0000-4000-b004-000000000003', 'paused', 'certification_expired',
          '00000000-0000-4000-b006-000000000004')$$,
    'MS409', null,
    'running the same system change again is refused (already paused): a job never pauses twice'
);

select * from finish();
rollback;
