-- The in-app inbox is written by the database when a certification-expiry run finishes (a Supabase-only
-- deployment has no dispatcher): one row per coordinator per run, none while the run is running, and the
-- dispatcher's insert after it adds no second row. Counts are about this file's run only (seeded or not).
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;
select plan(7);

insert into auth.users (id, email) values
    ('00000000-0000-4000-d061-00000000000a', 'inbox_run_a@test.example'),
    ('00000000-0000-4000-d061-00000000000b', 'inbox_run_b@test.example');
insert into public.organisations (id, name) values ('00000000-0000-4000-d061-000000000001', 'Inbox run organisation');
insert into public.chapters (id, organisation_id, name) values
    ('00000000-0000-4000-d061-000000000011', '00000000-0000-4000-d061-000000000001', 'Inbox run chapter 1'),
    ('00000000-0000-4000-d061-000000000012', '00000000-0000-4000-d061-000000000001', 'Inbox run chapter 2');
insert into public.peer_mentors (id, organisation_id, display_name, status, certification_expires_at) values
    ('00000000-0000-4000-d061-000000000101', '00000000-0000-4000-d061-000000000001', 'Inbox run mentor 1', 'active', now() - interval '2 days'),
    ('00000000-0000-4000-d061-000000000102', '00000000-0000-4000-d061-000000000001', 'Inbox run mentor 2', 'active', now() - interval '1 day');
-- mentor 1 is in chapter 1, mentor 2 in chapter 2; A coordinates both chapters, B chapter 2
insert into public.chapter_memberships (mentor_id, chapter_id) values
    ('00000000-0000-4000-d061-000000000101', '00000000-0000-4000-d061-000000000011'),
    ('00000000-0000-4000-d061-000000000102', '00000000-0000-4000-d061-000000000012');
insert into public.coordinator_assignments (user_id, chapter_id) values
    ('00000000-0000-4000-d061-00000000000a', '00000000-0000-4000-d061-000000000011'),
    ('00000000-0000-4000-d061-00000000000a', '00000000-0000-4000-d061-000000000012'),
    ('00000000-0000-4000-d061-00000000000b', '00000000-0000-4000-d061-000000000012');

insert into public.status_job_runs (id, job_name, as_of, batch_size)
values ('00000000-0000-4000-d061-000000000200', 'certification_expiry', now(), 100000);
select mentor_status_private.pause_expired_certifications('00000000-0000-4000-d061-000000000200', now(), 100000, null, null);

select is_empty($$select 1 from public.coordinator_inbox where job_run_id = '00000000-0000-4000-d061-000000000200'$$,
    'no inbox row while the run is running');

update public.status_job_runs set outcome = 'succeeded', finished_at = now()
where id = '00000000-0000-4000-d061-000000000200';

select results_eq(
    $$select user_id, mentor_ids from public.coordinator_inbox
      where job_run_id = '00000000-0000-4000-d061-000000000200'
        and user_id in ('00000000-0000-4000-d061-00000000000a', '00000000-0000-4000-d061-00000000000b')
      order by user_id$$,
    $$values ('00000000-0000-4000-d061-00000000000a'::uuid, '{00000000-0000-4000-d061-000000000101,00000000-0000-4000-d061-000000000102}'::uuid[]),
             ('00000000-0000-4000-d061-00000000000b'::uuid, '{00000000-0000-4000-d061-000000000102}'::uuid[])$$,
    'when the run finishes, each coordinator gets one inbox row with the mentors of their chapters (A once, though coordinating both chapters)');
select is(
    (select count(*)::int from public.coordinator_inbox where job_run_id = '00000000-0000-4000-d061-000000000200'),
    (select count(*)::int from public.coordinator_notifications where job_run_id = '00000000-0000-4000-d061-000000000200'),
    'one inbox row per notification of the run');
select is_empty(
    $$select 1 from public.coordinator_inbox i
      join public.coordinator_notifications n on n.id = i.notification_id
      where i.job_run_id = '00000000-0000-4000-d061-000000000200'
        and (n.coordinator_user_id <> i.user_id or n.mentor_ids <> i.mentor_ids or i.reason <> 'certification_expired' or i.read_at is not null)$$,
    'each inbox row is its notification''s coordinator and mentors, unread, with the run''s reason');

-- the dispatcher's inbox channel after the database: its insert adds nothing
insert into public.coordinator_inbox (notification_id, user_id, job_run_id, reason, mentor_ids, fallback_mentor_ids)
select n.id, n.coordinator_user_id, n.job_run_id, 'certification_expired', n.mentor_ids, n.fallback_mentor_ids
from public.coordinator_notifications n
where n.job_run_id = '00000000-0000-4000-d061-000000000200'
on conflict (notification_id) do nothing;
select is((select count(*)::int from public.coordinator_inbox
           where job_run_id = '00000000-0000-4000-d061-000000000200' and user_id = '00000000-0000-4000-d061-00000000000a'), 1,
    'the dispatcher''s insert writes no second row for a coordinator');

-- a later update of the finished run does not write again
update public.status_job_runs set finished_at = now() where id = '00000000-0000-4000-d061-000000000200';
select is((select count(*)::int from public.coordinator_inbox where job_run_id = '00000000-0000-4000-d061-000000000200'),
          (select count(*)::int from public.coordinator_notifications where job_run_id = '00000000-0000-4000-d061-000000000200'),
    'a later update of the finished run adds no row');

-- what the app sees: coordinator B reads their row through RLS
set local role authenticated;
select set_config('request.jwt.claims', '{"sub":"00000000-0000-4000-d061-00000000000b","role":"authenticated"}', true);
select results_eq($$select mentor_ids from public.coordinator_inbox where job_run_id = '00000000-0000-4000-d061-000000000200'$$,
    $$values ('{00000000-0000-4000-d061-000000000102}'::uuid[])$$,
    'coordinator B reads exactly their own row of the run');
reset role;

select * from finish();
rollback;
