-- The system path tells the truth: certification_expired is refused for a mentor whose certification has not
-- expired, and a system change without a job run must name the service that made it, which is recorded beside
-- the history row (public.system_status_change_sources, append-only, service_role reads it).
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;

select plan(11);

insert into public.organisations (id, name) values ('00000000-0000-4000-d072-0000000000b1', 'System path org');
insert into public.peer_mentors (id, organisation_id, display_name, certification_expires_at) values
    ('00000000-0000-4000-d072-0000000000d1', '00000000-0000-4000-d072-0000000000b1', 'Valid', now() + interval '30 days'),
    ('00000000-0000-4000-d072-0000000000d2', '00000000-0000-4000-d072-0000000000b1', 'None', null),
    ('00000000-0000-4000-d072-0000000000d3', '00000000-0000-4000-d072-0000000000b1', 'Expired', now() - interval '1 day'),
    ('00000000-0000-4000-d072-0000000000d4', '00000000-0000-4000-d072-0000000000b1', 'Expired too', now() - interval '2 days');

set local role service_role;
select throws_like(
    $$select mentor_status_private.record_system_status_change('00000000-0000-4000-d072-0000000000d1', 'paused', 'certification_expired', gen_random_uuid())$$,
    '%certification_expired" for a mentor whose certification has not expired%',
    'certification_expired is refused for a certification that expires in the future');
select throws_ok(
    $$select mentor_status_private.record_system_status_change('00000000-0000-4000-d072-0000000000d2', 'paused', 'certification_expired', gen_random_uuid())$$,
    'MS412', null, 'and for a mentor with no certification on record');
set local application_name = 'nightly-script';
select lives_ok(
    $$select mentor_status_private.record_system_status_change('00000000-0000-4000-d072-0000000000d3', 'paused', 'certification_expired', null)$$,
    'a system change without a job run and without a service name is made');
select is(
    (select row(s.service, s.database_role, s.application_name)::text
     from public.system_status_change_sources s
     join public.peer_mentor_status_history h on h.id = s.history_id
     where h.mentor_id = '00000000-0000-4000-d072-0000000000d3' and h.reason = 'certification_expired'),
    '(,service_role,nightly-script)',
    'and its source says what the database knows: the role and the application_name');
reset application_name;
select throws_ok(
    $$select mentor_status_private.record_system_status_change('00000000-0000-4000-d072-0000000000d4', 'paused', 'certification_expired', null, 'Robert''); drop table x; --')$$,
    'MS400', null, 'a service name that is not a name is refused');
select lives_ok(
    $$select mentor_status_private.record_system_status_change('00000000-0000-4000-d072-0000000000d4', 'paused', 'certification_expired', null, 'support-console')$$,
    'a named service pauses the mentor whose certification expired');
select is(
    (select row(s.service, s.database_role)::text
     from public.system_status_change_sources s
     join public.peer_mentor_status_history h on h.id = s.history_id
     where h.mentor_id = '00000000-0000-4000-d072-0000000000d4' and h.reason = 'certification_expired'),
    '(support-console,service_role)',
    'the history row''s source names the service and the role; service_role reads it');
reset role;

set local role authenticated;
set local request.jwt.claims = '{"sub":"00000000-0000-4000-d072-0000000000a1","role":"authenticated"}';
select throws_ok($$select count(*) from public.system_status_change_sources$$, '42501', null,
    'a signed-in user cannot read the sources');
reset role;

set local role service_role;
select throws_ok($$delete from public.system_status_change_sources$$, '42501', null, 'service_role cannot delete a source');
reset role;
select throws_ok($$update public.system_status_change_sources set service = 'someone-else'$$, 'MS100', null,
    'nor can the owner rewrite one (append-only)');
select throws_ok($$truncate public.system_status_change_sources$$, 'MS100', null, 'nor truncate them');

select * from finish();
rollback;
