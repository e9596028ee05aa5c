-- issue 10 (soft delete): a mentor with deleted_at set is gone for the app's users — the mentor
-- themself and their coordinators no longer read the mentor, the history or the memberships, and
-- cannot change the status; service_role (the trusted backend, past RLS) and the owner still read all.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;

select plan(9);

insert into auth.users (id) values
    ('00000000-0000-4000-c052-000000000001'),  -- the mentor
    ('00000000-0000-4000-c052-000000000002');  -- their coordinator
insert into public.organisations (id, name) values ('00000000-0000-4000-c052-0000000000a1', 'Soft delete org');
insert into public.chapters (id, organisation_id, name) values
    ('00000000-0000-4000-c052-0000000000c1', '00000000-0000-4000-c052-0000000000a1', 'Chapter');
insert into public.peer_mentors (id, user_id, organisation_id, display_name) values
    ('00000000-0000-4000-c052-0000000000b1', '00000000-0000-4000-c052-000000000001', '00000000-0000-4000-c052-0000000000a1', 'Deleted mentor'),
    ('00000000-0000-4000-c052-0000000000b2', null, '00000000-0000-4000-c052-0000000000a1', 'Kept mentor');
insert into public.chapter_memberships (mentor_id, chapter_id) values
    ('00000000-0000-4000-c052-0000000000b1', '00000000-0000-4000-c052-0000000000c1'),
    ('00000000-0000-4000-c052-0000000000b2', '00000000-0000-4000-c052-0000000000c1');
insert into public.coordinator_assignments (user_id, chapter_id) values
    ('00000000-0000-4000-c052-000000000002', '00000000-0000-4000-c052-0000000000c1');
-- (the insert of each mentor wrote its initial_status history record)
update public.peer_mentors set deleted_at = now() where id = '00000000-0000-4000-c052-0000000000b1';

create temp table seen (actor text, mentors int, history int, memberships int);
grant insert on seen to authenticated, service_role;

set local role authenticated;
set local request.jwt.claims = '{"sub":"00000000-0000-4000-c052-000000000001","role":"authenticated"}';
insert into seen select 'mentor',
    (select count(*) from public.peer_mentors where id = '00000000-0000-4000-c052-0000000000b1'),
    (select count(*) from public.peer_mentor_status_history where mentor_id = '00000000-0000-4000-c052-0000000000b1'),
    (select count(*) from public.chapter_memberships where mentor_id = '00000000-0000-4000-c052-0000000000b1');
select throws_ok(
    $$select public.change_mentor_status('00000000-0000-4000-c052-0000000000b1', 'paused', 'self_pause')$$,
    'MS404', null, 'the deleted mentor cannot change their own status (not found)');

set local request.jwt.claims = '{"sub":"00000000-0000-4000-c052-000000000002","role":"authenticated"}';
insert into seen select 'coordinator',
    (select count(*) from public.peer_mentors where id = '00000000-0000-4000-c052-0000000000b1'),
    (select count(*) from public.peer_mentor_status_history where mentor_id = '00000000-0000-4000-c052-0000000000b1'),
    (select count(*) from public.chapter_memberships where mentor_id = '00000000-0000-4000-c052-0000000000b1');
insert into seen select 'coordinator, kept mentor',
    (select count(*) from public.peer_mentors where id = '00000000-0000-4000-c052-0000000000b2'),
    (select count(*) from public.peer_mentor_status_history where mentor_id = '00000000-0000-4000-c052-0000000000b2'),
    (select count(*) from public.chapter_memberships where mentor_id = '00000000-0000-4000-c052-0000000000b2');
select throws_ok(
    $$select public.change_mentor_status('00000000-0000-4000-c052-0000000000b1', 'paused', 'coordinator_manual_pause')$$,
    'MS404', null, 'the coordinator cannot change a deleted mentor''s status (not found)');
reset role;

set local role service_role;
insert into seen select 'service_role',
    (select count(*) from public.peer_mentors where id = '00000000-0000-4000-c052-0000000000b1'),
    (select count(*) from public.peer_mentor_status_history where mentor_id = '00000000-0000-4000-c052-0000000000b1'),
    (select count(*) from public.chapter_memberships where mentor_id = '00000000-0000-4000-c052-0000000000b1');
reset role;

select is((select row(mentors, history, memberships)::text from seen where actor = 'mentor'), '(0,0,0)',
    'the deleted mentor no longer reads their record, history or memberships');
select is((select row(mentors, history, memberships)::text from seen where actor = 'coordinator'), '(0,0,0)',
    'their coordinator no longer reads the deleted mentor, the history or the membership');
select is((select row(mentors, history, memberships)::text from seen where actor = 'coordinator, kept mentor'), '(1,1,1)',
    'the coordinator still reads the mentor who was not deleted');
select is((select row(mentors, history, memberships)::text from seen where actor = 'service_role'), '(1,1,1)',
    'service_role still reads the deleted mentor and the history (support, audit, export before a hard delete)');
select is((select count(*)::int from public.peer_mentor_status_history where mentor_id = '00000000-0000-4000-c052-0000000000b1'), 1,
    'the owner still has the deleted mentor''s history');

-- The chapter and organisation stay visible to the coordinator through their assignment.
set local role authenticated;
set local request.jwt.claims = '{"sub":"00000000-0000-4000-c052-000000000002","role":"authenticated"}';
select is((select count(*)::int from public.chapters where id = '00000000-0000-4000-c052-0000000000c1'), 1,
    'the coordinator still reads the chapter');
reset role;
-- The deleted mentor's own chapter and organisation are gone for them.
set local role authenticated;
set local request.jwt.claims = '{"sub":"00000000-0000-4000-c052-000000000001","role":"authenticated"}';
select is((select count(*)::int from public.chapters) + (select count(*)::int from public.organisations), 0,
    'the deleted mentor reads no chapter and no organisation');
reset role;

select * from finish();
rollback;
