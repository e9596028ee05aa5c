-- A hard delete of a mentor (right to erasure: the history goes with the mentor by cascade) leaves a record in
-- public.mentor_erasures: who, when, the organisation, how many history rows went; nothing about the person.
-- service_role reads it; nobody changes it, the owner included.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;

select plan(10);

insert into auth.users (id) values ('00000000-0000-4000-d074-0000000000a1');  -- the mentor's login
insert into public.organisations (id, name) values ('00000000-0000-4000-d074-0000000000b1', 'Erasure org');
insert into public.chapters (id, organisation_id, name) values
    ('00000000-0000-4000-d074-0000000000c1', '00000000-0000-4000-d074-0000000000b1', 'X');
insert into public.peer_mentors (id, user_id, organisation_id, display_name, certification_expires_at) values
    ('00000000-0000-4000-d074-0000000000d1', '00000000-0000-4000-d074-0000000000a1', '00000000-0000-4000-d074-0000000000b1',
     'Erasable Person', now() - interval '1 day');
insert into public.chapter_memberships (mentor_id, chapter_id) values
    ('00000000-0000-4000-d074-0000000000d1', '00000000-0000-4000-d074-0000000000c1');
-- two more history rows: the mentor pauses and resumes (their certification has expired: no matter to them)
set local role authenticated;
set local request.jwt.claims = '{"sub":"00000000-0000-4000-d074-0000000000a1","role":"authenticated"}';
select count(*) from public.change_mentor_status('00000000-0000-4000-d074-0000000000d1', 'paused', 'self_pause');
select count(*) from public.change_mentor_status('00000000-0000-4000-d074-0000000000d1', 'active', 'self_resume');
reset role;
-- and a system change by a named service, whose source row goes with its history row
set local role service_role;
select count(*) from mentor_status_private.record_system_status_change('00000000-0000-4000-d074-0000000000d1', 'paused', 'certification_expired', null, 'support-console');
reset role;

create temp table before_delete as select clock_timestamp() as at;
set local request.jwt.claims = '{"role":"service_role"}';
set local role service_role;
delete from public.peer_mentors where id = '00000000-0000-4000-d074-0000000000d1';
reset role;

select is((select count(*)::int from public.peer_mentor_status_history where mentor_id = '00000000-0000-4000-d074-0000000000d1'), 0,
    'the hard delete took the mentor''s history with it');
select is((select count(*)::int from public.system_status_change_sources s
           where s.mentor_id = '00000000-0000-4000-d074-0000000000d1'), 0,
    'and the source rows of that history (the cascade passes the append-only trigger)');
select is(
    (select row(e.history_rows, e.database_role, e.erased_by is null)::text
     from public.mentor_erasures e
     where e.organisation_id = '00000000-0000-4000-d074-0000000000b1' and e.erased_at >= (select at from before_delete)),
    '(4,service_role,t)',
    'an erasure record says how many history rows went and which role deleted them');
select is(
    (select count(*)::int from public.mentor_erasures e
     where e.organisation_id = '00000000-0000-4000-d074-0000000000b1'
       and (to_jsonb(e)::text like '%Erasable%' or to_jsonb(e)::text like '%00000000-0000-4000-d074-0000000000d1%'
            or to_jsonb(e)::text like '%00000000-0000-4000-d074-0000000000a1%')),
    0, 'the record holds neither the name nor the mentor''s id nor their login');

set local role service_role;
select is((select count(*)::int from public.mentor_erasures where organisation_id = '00000000-0000-4000-d074-0000000000b1'), 1,
    'service_role reads the erasure records');
select throws_ok($$delete from public.mentor_erasures$$, '42501', null, 'service_role cannot delete them');
reset role;
set local role authenticated;
select throws_ok($$select count(*) from public.mentor_erasures$$, '42501', null, 'a signed-in user cannot read them');
reset role;
select throws_ok($$update public.mentor_erasures set history_rows = 0$$, 'MS100', null, 'the owner cannot rewrite them');
select throws_ok($$delete from public.mentor_erasures$$, 'MS100', null, 'nor delete them');
select throws_ok($$truncate public.mentor_erasures$$, 'MS100', null, 'nor truncate them');

select * from finish();
rollback;
