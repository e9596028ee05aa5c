-- issue 13, item 1, round 4 (20261127130000): mentor_status_private.mentor_timeline checks the history policy's
-- rule in a statement of its own, then reads the page. PL/pgSQL runs both with GENERIC plans from the sixth call
-- of a session; there the earlier body hashed every mentor of the caller's chapters. Here every caller's answer is
-- checked with generic plans forced from the first call (plan_cache_mode), so the rule holds in the plan that
-- production runs. Plan shape and buffers: tests/MentorStatus.Tests/Security/TimelinePointCheckTests.cs.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;
set local plan_cache_mode = force_generic_plan;

select plan(11);

select is((select prosecdef from pg_proc where oid = 'mentor_status_private.mentor_timeline(uuid, timestamptz, uuid, integer)'::regprocedure),
    true, 'the helper is still security definer');
select ok((select proconfig @> array['search_path=pg_catalog, pg_temp'] from pg_proc
           where oid = 'mentor_status_private.mentor_timeline(uuid, timestamptz, uuid, integer)'::regprocedure),
    'with its search_path pinned to pg_catalog, pg_temp');
select ok(not has_function_privilege('anon', 'mentor_status_private.mentor_timeline(uuid, timestamptz, uuid, integer)', 'EXECUTE')
          and has_function_privilege('authenticated', 'mentor_status_private.mentor_timeline(uuid, timestamptz, uuid, integer)', 'EXECUTE'),
    'privileges unchanged: authenticated may call it, anon may not');
-- Fixture: Nora coordinates Northgate, Riverside and Eastside; Rami only Westside; Hugo's Northgate assignment is
-- revoked. Alva (Northgate, signs in), Bo (Riverside), Cai (Westside), Dag (Eastside, soft-deleted).
insert into public.organisations (id, name) values ('00000000-0000-4000-c055-000000000001', 'Org 055');
insert into public.chapters (id, organisation_id, name) values
    ('00000000-0000-4000-c055-0000000000c1', '00000000-0000-4000-c055-000000000001', 'Northgate 055'),
    ('00000000-0000-4000-c055-0000000000c2', '00000000-0000-4000-c055-000000000001', 'Riverside 055'),
    ('00000000-0000-4000-c055-0000000000c3', '00000000-0000-4000-c055-000000000001', 'Eastside 055'),
    ('00000000-0000-4000-c055-0000000000c4', '00000000-0000-4000-c055-000000000001', 'Westside 055');
insert into auth.users (id) values
    ('00000000-0000-4000-c055-0000000000a1'),  -- nora
    ('00000000-0000-4000-c055-0000000000a2'),  -- rami
    ('00000000-0000-4000-c055-0000000000a3'),  -- hugo
    ('00000000-0000-4000-c055-0000000000a4'),  -- alva
    ('00000000-0000-4000-c055-0000000000a5');  -- a stranger
insert into public.peer_mentors (id, user_id, organisation_id, display_name) values
    ('00000000-0000-4000-c055-0000000000b1', '00000000-0000-4000-c055-0000000000a4', '00000000-0000-4000-c055-000000000001', 'Alva'),
    ('00000000-0000-4000-c055-0000000000b2', null, '00000000-0000-4000-c055-000000000001', 'Bo'),
    ('00000000-0000-4000-c055-0000000000b3', null, '00000000-0000-4000-c055-000000000001', 'Cai'),
    ('00000000-0000-4000-c055-0000000000b4', null, '00000000-0000-4000-c055-000000000001', 'Dag');
insert into public.chapter_memberships (mentor_id, chapter_id) values
    ('00000000-0000-4000-c055-0000000000b1', '00000000-0000-4000-c055-0000000000c1'),
    ('00000000-0000-4000-c055-0000000000b2', '00000000-0000-4000-c055-0000000000c2'),
    ('00000000-0000-4000-c055-0000000000b3', '00000000-0000-4000-c055-0000000000c4'),
    ('00000000-0000-4000-c055-0000000000b4', '00000000-0000-4000-c055-0000000000c3');
insert into public.coordinator_assignments (user_id, chapter_id, revoked_at) values
    ('00000000-0000-4000-c055-0000000000a1', '00000000-0000-4000-c055-0000000000c1', null),
    ('00000000-0000-4000-c055-0000000000a1', '00000000-0000-4000-c055-0000000000c2', null),
    ('00000000-0000-4000-c055-0000000000a1', '00000000-0000-4000-c055-0000000000c3', null),
    ('00000000-0000-4000-c055-0000000000a2', '00000000-0000-4000-c055-0000000000c4', null),
    ('00000000-0000-4000-c055-0000000000a3', '00000000-0000-4000-c055-0000000000c1', now());
update public.peer_mentors set deleted_at = now() where id = '00000000-0000-4000-c055-0000000000b4';

-- each caller reads each mentor's timeline through the helper and through the table's policy
create temp table t (who text, mentor text, via_helper bigint, via_policy bigint);
grant insert on t to authenticated;
create function pg_temp.both_paths(p_who text, p_user uuid, p_mentor_name text, p_mentor uuid) returns void
language plpgsql as $$
begin
    perform set_config('role', 'authenticated', true);
    perform set_config('request.jwt.claims', case when p_user is null then '' else format('{"sub":"%s","role":"authenticated"}', p_user) end, true);
    insert into t values (p_who, p_mentor_name,
        (select count(*) from mentor_status_private.mentor_timeline(p_mentor, null, null, 1000)),
        (select count(*) from public.peer_mentor_status_history where mentor_id = p_mentor));
    perform set_config('role', 'postgres', true);
end
$$;
select pg_temp.both_paths(w.who, w.uid, m.name, m.id)
from (values ('nora', '00000000-0000-4000-c055-0000000000a1'::uuid), ('rami', '00000000-0000-4000-c055-0000000000a2'),
             ('hugo', '00000000-0000-4000-c055-0000000000a3'), ('alva', '00000000-0000-4000-c055-0000000000a4'),
             ('stranger', '00000000-0000-4000-c055-0000000000a5'), ('no claims', null)) w (who, uid)
cross join (values ('Alva', '00000000-0000-4000-c055-0000000000b1'::uuid), ('Bo', '00000000-0000-4000-c055-0000000000b2'),
                   ('Cai', '00000000-0000-4000-c055-0000000000b3'), ('Dag', '00000000-0000-4000-c055-0000000000b4')) m (name, id);

select is((select count(*) from t), 24::bigint, 'six callers × four mentors, all through the generic plans');
select is_empty($$select who, mentor, via_helper, via_policy from t where via_helper <> via_policy$$,
    'every caller gets from the helper exactly what the table''s policy gives them');
select is((select string_agg(mentor, ',' order by mentor) from t where who = 'nora' and via_helper > 0), 'Alva,Bo',
    'a coordinator of three chapters: the live mentors of all three (not the soft-deleted one)');
select is((select string_agg(mentor, ',' order by mentor) from t where who = 'rami' and via_helper > 0), 'Cai',
    'a coordinator of one chapter: its mentor only');
select is((select sum(via_helper) from t where who = 'hugo'), 0::numeric, 'a revoked coordinator: nothing');
select is((select string_agg(mentor, ',' order by mentor) from t where who = 'alva' and via_helper > 0), 'Alva',
    'a mentor: their own timeline only');
select is((select sum(via_helper) from t where who in ('stranger', 'no claims')), 0::numeric,
    'a stranger, and a session without claims: nothing');
select is((select sum(via_helper) from t where mentor = 'Dag'), 0::numeric, 'a soft-deleted mentor: nothing, for anyone');

select * from finish();
rollback;
