-- issue 13, item 1: the timeline read path (20261127120020). public.mentor_timeline is a security invoker
-- rpc over the definer helper mentor_status_private.mentor_timeline, which checks the history policy's rule
-- for the ONE mentor asked for and then reads the page. Shapes and privileges here, the same rows as the
-- policy and the cost in tests/MentorStatus.Tests/Security/TimelinePointCheckTests.cs.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;

select plan(12);

select is((select prosecdef from pg_proc where oid = 'public.mentor_timeline(uuid, timestamptz, uuid, integer)'::regprocedure),
    false, 'the rpc in the exposed schema is security invoker');
select is((select prosecdef from pg_proc where oid = 'mentor_status_private.mentor_timeline(uuid, timestamptz, uuid, integer)'::regprocedure),
    true, 'its helper in mentor_status_private is security definer');
select is_empty(
    $$select p.oid::regprocedure::text from pg_proc p
      where p.oid in ('public.mentor_timeline(uuid, timestamptz, uuid, integer)'::regprocedure,
                      'mentor_status_private.mentor_timeline(uuid, timestamptz, uuid, integer)'::regprocedure,
                      'mentor_status_private.visible_mentor_ids()'::regprocedure,
                      'mentor_status_private.coordinated_mentor_ids()'::regprocedure)
        and not (coalesce(p.proconfig, '{}') @> array['search_path=pg_catalog, pg_temp'])$$,
    'the timeline functions and the rewritten helpers run with search_path = pg_catalog, pg_temp');
select ok(has_function_privilege('authenticated', 'public.mentor_timeline(uuid, timestamptz, uuid, integer)', 'EXECUTE')
          and has_function_privilege('authenticated', 'mentor_status_private.mentor_timeline(uuid, timestamptz, uuid, integer)', 'EXECUTE'),
    'authenticated may call the rpc and its helper');
select ok(not has_function_privilege('anon', 'public.mentor_timeline(uuid, timestamptz, uuid, integer)', 'EXECUTE')
          and not has_function_privilege('anon', 'mentor_status_private.mentor_timeline(uuid, timestamptz, uuid, integer)', 'EXECUTE')
          and not has_function_privilege('service_role', 'mentor_status_private.mentor_timeline(uuid, timestamptz, uuid, integer)', 'EXECUTE'),
    'anon may call neither; service_role reads the table itself');

-- Fixture: Northgate (Alva, Bo) coordinated by Nora, and by Hugo until his assignment was revoked;
-- Riverside (Cai) coordinated by Rami. Alva signs in as a mentor.
insert into public.organisations (id, name) values ('00000000-0000-4000-c054-000000000001', 'Org 054');
insert into public.chapters (id, organisation_id, name) values
    ('00000000-0000-4000-c054-0000000000c1', '00000000-0000-4000-c054-000000000001', 'Northgate 054'),
    ('00000000-0000-4000-c054-0000000000c2', '00000000-0000-4000-c054-000000000001', 'Riverside 054');
insert into auth.users (id) values
    ('00000000-0000-4000-c054-0000000000a1'),  -- nora
    ('00000000-0000-4000-c054-0000000000a2'),  -- rami
    ('00000000-0000-4000-c054-0000000000a3'),  -- hugo
    ('00000000-0000-4000-c054-0000000000a4');  -- alva
insert into public.peer_mentors (id, user_id, organisation_id, display_name) values
    ('00000000-0000-4000-c054-0000000000b1', '00000000-0000-4000-c054-0000000000a4', '00000000-0000-4000-c054-000000000001', 'Alva'),
    ('00000000-0000-4000-c054-0000000000b2', null, '00000000-0000-4000-c054-000000000001', 'Bo'),
    ('00000000-0000-4000-c054-0000000000b3', null, '00000000-0000-4000-c054-000000000001', 'Cai');
insert into public.chapter_memberships (mentor_id, chapter_id) values
    ('00000000-0000-4000-c054-0000000000b1', '00000000-0000-4000-c054-0000000000c1'),
    ('00000000-0000-4000-c054-0000000000b2', '00000000-0000-4000-c054-0000000000c1'),
    ('00000000-0000-4000-c054-0000000000b3', '00000000-0000-4000-c054-0000000000c2');
insert into public.coordinator_assignments (user_id, chapter_id, revoked_at) values
    ('00000000-0000-4000-c054-0000000000a1', '00000000-0000-4000-c054-0000000000c1', null),
    ('00000000-0000-4000-c054-0000000000a2', '00000000-0000-4000-c054-0000000000c2', null),
    ('00000000-0000-4000-c054-0000000000a3', '00000000-0000-4000-c054-0000000000c1', now());
insert into public.peer_mentor_status_history (mentor_id, previous_status, new_status, reason, changed_at)
select '00000000-0000-4000-c054-0000000000b1', 'active', 'paused', 'certification_expired', now() - g * interval '1 day'
from generate_series(1, 5) g;

create temp table t (who text, mentor text, via_rpc bigint, via_policy bigint);
grant insert on t to authenticated;
create function pg_temp.both_paths(p_who text, p_user uuid, p_mentor_name text, p_mentor uuid) returns void
language plpgsql as $$
begin
    perform set_config('role', 'authenticated', true);
    perform set_config('request.jwt.claims', format('{"sub":"%s","role":"authenticated"}', p_user), true);
    insert into t values (p_who, p_mentor_name,
        (select count(*) from public.mentor_timeline(p_mentor, null, null, 1000)),
        (select count(*) from public.peer_mentor_status_history where mentor_id = p_mentor));
    perform set_config('role', 'postgres', true);
end
$$;
select pg_temp.both_paths('nora', '00000000-0000-4000-c054-0000000000a1', 'Alva', '00000000-0000-4000-c054-0000000000b1');
select pg_temp.both_paths('rami', '00000000-0000-4000-c054-0000000000a2', 'Alva', '00000000-0000-4000-c054-0000000000b1');
select pg_temp.both_paths('hugo', '00000000-0000-4000-c054-0000000000a3', 'Alva', '00000000-0000-4000-c054-0000000000b1');
select pg_temp.both_paths('alva', '00000000-0000-4000-c054-0000000000a4', 'Alva', '00000000-0000-4000-c054-0000000000b1');
select pg_temp.both_paths('alva', '00000000-0000-4000-c054-0000000000a4', 'Bo', '00000000-0000-4000-c054-0000000000b2');

select ok((select via_rpc > 0 and via_rpc = via_policy from t where who = 'nora' and mentor = 'Alva'),
    'a coordinator of the mentor''s chapter: the whole timeline, as the policy gives it');
select is((select via_rpc from t where who = 'rami' and mentor = 'Alva'), 0::bigint,
    'a coordinator of another chapter: nothing');
select is((select via_rpc from t where who = 'hugo' and mentor = 'Alva'), 0::bigint,
    'a revoked coordinator: nothing');
select ok((select via_rpc > 0 and via_rpc = via_policy from t where who = 'alva' and mentor = 'Alva'),
    'the mentor: their own timeline');
select is((select via_rpc from t where who = 'alva' and mentor = 'Bo'), 0::bigint,
    'another mentor of the same chapter: nothing');

-- A soft-deleted mentor disappears from their coordinator's timeline, as from the policy.
update public.peer_mentors set deleted_at = now() where id = '00000000-0000-4000-c054-0000000000b1';
select pg_temp.both_paths('nora after delete', '00000000-0000-4000-c054-0000000000a1', 'Alva', '00000000-0000-4000-c054-0000000000b1');
select is((select (via_rpc, via_policy)::text from t where who = 'nora after delete'), '(0,0)',
    'a soft-deleted mentor: nothing through either path');

-- Bad input is named.
select throws_ok(
    $$select * from mentor_status_private.mentor_timeline('00000000-0000-4000-c054-0000000000b2', null, null, 5000)$$,
    '22023', 'mentor_timeline: p_limit must be between 1 and 1001, not 5000',
    'a page larger than 1001 records is refused with the limit');

select * from finish();
rollback;
