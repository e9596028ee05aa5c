-- A hard delete of a mentor (right to erasure) takes the mentor's id out of the notifications that named them:
-- coordinator_notifications and coordinator_inbox, mentor_ids and fallback_mentor_ids, in the same statement.
-- Other mentors' ids stay, in order; a row left naming nobody goes. A soft delete changes nothing.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;

select plan(9);

insert into auth.users (id) values ('00000000-0000-4000-d076-0000000000a1');  -- the coordinator
insert into public.organisations (id, name) values ('00000000-0000-4000-d076-0000000000b1', 'Erasure notifications org');
insert into public.peer_mentors (id, organisation_id, display_name) values
    ('00000000-0000-4000-d076-0000000000d1', '00000000-0000-4000-d076-0000000000b1', 'Erased one'),
    ('00000000-0000-4000-d076-0000000000d2', '00000000-0000-4000-d076-0000000000b1', 'Stays'),
    ('00000000-0000-4000-d076-0000000000d3', '00000000-0000-4000-d076-0000000000b1', 'Erased alone'),
    ('00000000-0000-4000-d076-0000000000d4', '00000000-0000-4000-d076-0000000000b1', 'Soft-deleted');
insert into public.status_job_runs (id, job_name, as_of, batch_size, outcome, finished_at) values
    ('00000000-0000-4000-d076-0000000000e1', 'certification_expiry', now(), 10, 'succeeded', now()),
    ('00000000-0000-4000-d076-0000000000e2', 'certification_expiry', now(), 10, 'succeeded', now());
-- one notification naming the erased mentor (by the organisation fallback too), the one who stays and the
-- soft-deleted one; another naming only a mentor who is erased
insert into public.coordinator_notifications (id, job_run_id, coordinator_user_id, mentor_ids, fallback_mentor_ids) values
    ('00000000-0000-4000-d076-0000000000f1', '00000000-0000-4000-d076-0000000000e1', '00000000-0000-4000-d076-0000000000a1',
     '{00000000-0000-4000-d076-0000000000d1,00000000-0000-4000-d076-0000000000d2,00000000-0000-4000-d076-0000000000d4}',
     '{00000000-0000-4000-d076-0000000000d1,00000000-0000-4000-d076-0000000000d2}'),
    ('00000000-0000-4000-d076-0000000000f2', '00000000-0000-4000-d076-0000000000e2', '00000000-0000-4000-d076-0000000000a1',
     '{00000000-0000-4000-d076-0000000000d3}', '{}');
insert into public.coordinator_inbox (notification_id, user_id, job_run_id, reason, mentor_ids, fallback_mentor_ids)
select n.id, n.coordinator_user_id, n.job_run_id, 'certification_expired', n.mentor_ids, n.fallback_mentor_ids
from public.coordinator_notifications n
where n.id in ('00000000-0000-4000-d076-0000000000f1', '00000000-0000-4000-d076-0000000000f2');

-- a soft delete is not an erasure
update public.peer_mentors set deleted_at = now() where id = '00000000-0000-4000-d076-0000000000d4';

-- the erasure: two mentors in one statement, as the service
set local request.jwt.claims = '{"role":"service_role"}';
set local role service_role;
delete from public.peer_mentors
where id in ('00000000-0000-4000-d076-0000000000d1', '00000000-0000-4000-d076-0000000000d3');
reset role;

select is((select mentor_ids::text from public.coordinator_notifications where id = '00000000-0000-4000-d076-0000000000f1'),
    '{00000000-0000-4000-d076-0000000000d2,00000000-0000-4000-d076-0000000000d4}',
    'the outbox notification no longer names the erased mentor; the others stay, in order (the soft-deleted one too)');
select is((select fallback_mentor_ids::text from public.coordinator_notifications where id = '00000000-0000-4000-d076-0000000000f1'),
    '{00000000-0000-4000-d076-0000000000d2}',
    'nor among the mentors that reached the coordinator by the organisation fallback');
select is((select mentor_ids::text from public.coordinator_inbox where notification_id = '00000000-0000-4000-d076-0000000000f1'),
    '{00000000-0000-4000-d076-0000000000d2,00000000-0000-4000-d076-0000000000d4}',
    'the inbox row no longer names the erased mentor; the others stay');
select is((select fallback_mentor_ids::text from public.coordinator_inbox where notification_id = '00000000-0000-4000-d076-0000000000f1'),
    '{00000000-0000-4000-d076-0000000000d2}',
    'nor its fallback list');
select is((select count(*)::int from public.coordinator_notifications where id = '00000000-0000-4000-d076-0000000000f2'), 0,
    'a notification that named only an erased mentor is gone');
select is((select count(*)::int from public.coordinator_inbox where notification_id = '00000000-0000-4000-d076-0000000000f2'), 0,
    'and its inbox row');
select is(
    (select count(*)::int from public.coordinator_notifications
     where mentor_ids && '{00000000-0000-4000-d076-0000000000d1,00000000-0000-4000-d076-0000000000d3}'::uuid[]
        or fallback_mentor_ids && '{00000000-0000-4000-d076-0000000000d1,00000000-0000-4000-d076-0000000000d3}'::uuid[]),
    0, 'no outbox notification names an erased mentor');
select is(
    (select count(*)::int from public.coordinator_inbox
     where mentor_ids && '{00000000-0000-4000-d076-0000000000d1,00000000-0000-4000-d076-0000000000d3}'::uuid[]
        or fallback_mentor_ids && '{00000000-0000-4000-d076-0000000000d1,00000000-0000-4000-d076-0000000000d3}'::uuid[]),
    0, 'no inbox row names an erased mentor');
select ok(not has_function_privilege('service_role', 'mentor_status_private.erase_mentors_from_notifications()', 'EXECUTE'),
    'the trigger function is not callable by the API roles');

select * from finish();
rollback;
