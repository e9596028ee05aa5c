-- A coordinator who is also a peer mentor may not apply coordinator codes to their own mentor record (MS412,
-- naming who may instead): no resuming themself out of another coordinator's pause, no override of their own
-- expired certification, no pause or deactivation of themself by a coordinator code. Their mentor codes stay;
-- another coordinator of one of their chapters may act. public.allowed_status_changes says the same.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;

select plan(12);

-- K coordinates chapter X and is a mentor of X; L is another coordinator of X.
insert into auth.users (id) values
    ('00000000-0000-4000-d070-0000000000a1'),  -- K
    ('00000000-0000-4000-d070-0000000000a2');  -- L
insert into public.organisations (id, name) values ('00000000-0000-4000-d070-0000000000b1', 'Own record org');
insert into public.chapters (id, organisation_id, name) values
    ('00000000-0000-4000-d070-0000000000c1', '00000000-0000-4000-d070-0000000000b1', 'X');
insert into public.peer_mentors (id, user_id, organisation_id, display_name, certification_expires_at) values
    ('00000000-0000-4000-d070-0000000000d1', '00000000-0000-4000-d070-0000000000a1', '00000000-0000-4000-d070-0000000000b1', 'K', now() - interval '1 day');
insert into public.chapter_memberships (mentor_id, chapter_id) values
    ('00000000-0000-4000-d070-0000000000d1', '00000000-0000-4000-d070-0000000000c1');
insert into public.coordinator_assignments (user_id, chapter_id) values
    ('00000000-0000-4000-d070-0000000000a1', '00000000-0000-4000-d070-0000000000c1'),
    ('00000000-0000-4000-d070-0000000000a2', '00000000-0000-4000-d070-0000000000c1');

create function pg_temp.as_user(p_user uuid)
returns void language sql as $$
    select set_config('request.jwt.claims', jsonb_build_object('sub', p_user, 'role', 'authenticated')::text, true);
    select set_config('role', 'authenticated', true);
$$;

-- K, active: a coordinator pause of themself is refused; the message says who may.
select pg_temp.as_user('00000000-0000-4000-d070-0000000000a1');
select throws_like(
    $$select public.change_mentor_status('00000000-0000-4000-d070-0000000000d1', 'paused', 'coordinator_manual_pause')$$,
    '%coordinator code and this is your own mentor record%another coordinator of one of your chapters (coordinator_manual_pause)%',
    'a coordinator may not pause their own mentor record with a coordinator code; the message names another coordinator');
select throws_ok(
    $$select public.change_mentor_status('00000000-0000-4000-d070-0000000000d1', 'inactive', 'coordinator_deactivate')$$,
    'MS412', null, 'nor deactivate themself with a coordinator code (MS412)');
select is(
    (select array_agg(reason_code order by reason_code) from public.allowed_status_changes('00000000-0000-4000-d070-0000000000d1')),
    array['self_pause'],
    'allowed_status_changes offers K only their mentor code on their own record');
reset role;

-- L pauses K; K may not resume themself out of L's pause.
select pg_temp.as_user('00000000-0000-4000-d070-0000000000a2');
select lives_ok(
    $$select public.change_mentor_status('00000000-0000-4000-d070-0000000000d1', 'paused', 'coordinator_manual_pause')$$,
    'another coordinator of the chapter pauses K');
reset role;
select pg_temp.as_user('00000000-0000-4000-d070-0000000000a1');
select throws_ok(
    $$select public.change_mentor_status('00000000-0000-4000-d070-0000000000d1', 'active', 'coordinator_resume')$$,
    'MS412', null, 'K may not resume themself out of another coordinator''s pause');
select is(
    (select count(*)::int from public.allowed_status_changes('00000000-0000-4000-d070-0000000000d1')), 0,
    'allowed_status_changes offers K nothing while another coordinator''s pause holds');
reset role;
select pg_temp.as_user('00000000-0000-4000-d070-0000000000a2');
select lives_ok(
    $$select public.change_mentor_status('00000000-0000-4000-d070-0000000000d1', 'active', 'coordinator_resume')$$,
    'the other coordinator may resume K');
reset role;

-- The certification job pauses K (expired); K may not override it for themself, L may.
select lives_ok(
    $$select mentor_status_private.record_system_status_change('00000000-0000-4000-d070-0000000000d1', 'paused', 'certification_expired', gen_random_uuid())$$,
    'the system pauses K for the expired certification');
select pg_temp.as_user('00000000-0000-4000-d070-0000000000a1');
select throws_like(
    $$select public.change_mentor_status('00000000-0000-4000-d070-0000000000d1', 'active', 'coordinator_certification_override')$$,
    '%your own mentor record%another coordinator of one of your chapters (coordinator_certification_override)%',
    'K may not override their own expired certification');
select is(
    (select count(*)::int from public.allowed_status_changes('00000000-0000-4000-d070-0000000000d1')
     where reason_code like 'coordinator\_%'), 0,
    'allowed_status_changes offers K no coordinator code on their own record');
reset role;
select pg_temp.as_user('00000000-0000-4000-d070-0000000000a2');
select is(
    (select array_agg(reason_code order by reason_code) from public.allowed_status_changes('00000000-0000-4000-d070-0000000000d1')),
    array['coordinator_certification_override', 'coordinator_deactivate'],
    'allowed_status_changes offers the other coordinator the override');
select lives_ok(
    $$select public.change_mentor_status('00000000-0000-4000-d070-0000000000d1', 'active', 'coordinator_certification_override')$$,
    'the other coordinator may override K''s expired certification');
reset role;

select * from finish();
rollback;
