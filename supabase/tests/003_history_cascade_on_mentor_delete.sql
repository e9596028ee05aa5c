-- Smoke test 3 (task-002): hard-deleting a peer_mentors row (GDPR erasure) deletes its history
-- (ON DELETE CASCADE), despite the append-only trigger, and leaves other mentors' history alone.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;

select plan(5);

-- Fixtures ------------------------------------------------------------------------------------
insert into auth.users (id, email) values
    ('00000000-0000-4000-b003-000000000003', 'mentor.003@test.example');
insert into public.organisations (id, name) values
    ('00000000-0000-4000-b001-000000000003', 'Test organisation 003');
insert into public.chapters (id, organisation_id, name) values
    ('00000000-0000-4000-b002-000000000003', '00000000-0000-4000-b001-000000000003', 'Test chapter 003');
insert into public.peer_mentors (id, user_id, organisation_id, display_name) values
    ('00000000-0000-4000-b004-000000000031', '00000000-0000-4000-b003-000000000003', '00000000-0000-4000-b001-000000000003', 'Mentor to erase'),
    ('00000000-0000-4000-b004-000000000032', null, '00000000-0000-4000-b001-000000000003', 'Mentor to keep');
insert into public.chapter_memberships (mentor_id, chapter_id) values
    ('00000000-0000-4000-b004-000000000031', '00000000-0000-4000-b002-000000000003');
-- Each mentor's initial_status record is written by the insert above (issue 10).
insert into public.peer_mentor_status_history (mentor_id, previous_status, new_status, changed_by, reason) values
    ('00000000-0000-4000-b004-000000000031', 'active', 'paused', '00000000-0000-4000-b003-000000000003', 'self_pause'),
    ('00000000-0000-4000-b004-000000000031', 'paused', 'active', '00000000-0000-4000-b003-000000000003', 'self_resume');

-- Tests ---------------------------------------------------------------------------------------
select is(
    (select count(*)::int from public.peer_mentor_status_history where mentor_id = '00000000-0000-4000-b004-000000000031'),
    3,
    'the mentor to erase has three history records'
);

select lives_ok(
    $$delete from public.peer_mentors where id = '00000000-0000-4000-b004-000000000031'$$,
    'the peer_mentors row can be hard-deleted'
);

select is(
    (select count(*)::int from public.peer_mentor_status_history where mentor_id = '00000000-0000-4000-b004-000000000031'),
    0,
    'its history records are gone (ON DELETE CASCADE)'
);

select is(
    (select count(*)::int from public.chapter_memberships where mentor_id = '00000000-0000-4000-b004-000000000031'),
    0,
    'its chapter memberships are gone too'
);

select is(
    (select count(*)::int from public.peer_mentor_status_history where mentor_id = '00000000-0000-4000-b004-000000000032'),
    1,
    'another mentor''s history is untouched'
);

select * from finish();
rollback;
