-- issue 10, part 6: no oracle, no unbounded input, no spam.
--   * change_mentor_status on a mentor the caller may not see answers exactly like one that does not
--     exist: the same error AND the same work. The work is measured, not timed: the transaction's own
--     per-relation counters (pg_stat_get_xact_*: scans, tuples returned and fetched, buffer pages read)
--     of every table and index in public and auth, before and after each call.
--   * An oversized reason is refused (MS413, naming the limit) before any lookup: no table or index is
--     read at all.
--   * A mentor's own changes are rate-limited (MS429, default 10 in 24 h from public.mentor_status_settings);
--     coordinators are not, and their changes do not count against the mentor.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;

select plan(32);

-- Fixtures ------------------------------------------------------------------------------------
-- Chapter A: mentor M (user ...a1), mentor M2 (user ...a2), coordinator CA. Chapter B: 2,000 mentors
-- (so that the membership index has more than one level), coordinator CB. A mentor S of chapter B with a
-- login: the stranger. Mentors of A are invisible to CB and S.
insert into auth.users (id, email) values
    ('00000000-0000-4000-9003-0000000000a1', 'm@oracle.example'),
    ('00000000-0000-4000-9003-0000000000a2', 'm2@oracle.example'),
    ('00000000-0000-4000-9003-0000000000ca', 'ca@oracle.example'),
    ('00000000-0000-4000-9003-0000000000cb', 'cb@oracle.example'),
    ('00000000-0000-4000-9003-0000000000bb', 's@oracle.example');
insert into public.organisations (id, name) values ('00000000-0000-4000-9001-000000000001', 'Oracle organisation');
insert into public.chapters (id, organisation_id, name) values
    ('00000000-0000-4000-9002-00000000000a', '00000000-0000-4000-9001-000000000001', 'Chapter A'),
    ('00000000-0000-4000-9002-00000000000b', '00000000-0000-4000-9001-000000000001', 'Chapter B');
insert into public.peer_mentors (id, user_id, organisation_id, display_name) values
    ('00000000-0000-4000-9004-0000000000a1', '00000000-0000-4000-9003-0000000000a1', '00000000-0000-4000-9001-000000000001', 'M'),
    ('00000000-0000-4000-9004-0000000000a2', '00000000-0000-4000-9003-0000000000a2', '00000000-0000-4000-9001-000000000001', 'M2'),
    ('00000000-0000-4000-9004-0000000000bb', '00000000-0000-4000-9003-0000000000bb', '00000000-0000-4000-9001-000000000001', 'S');
insert into public.peer_mentors (id, organisation_id, display_name)
select gen_random_uuid(), '00000000-0000-4000-9001-000000000001', 'B mentor ' || n from generate_series(1, 2000) n;
insert into public.chapter_memberships (mentor_id, chapter_id)
select m.id, case when m.display_name in ('M', 'M2') then '00000000-0000-4000-9002-00000000000a'::uuid
                  else '00000000-0000-4000-9002-00000000000b'::uuid end
from public.peer_mentors m where m.organisation_id = '00000000-0000-4000-9001-000000000001';
insert into public.coordinator_assignments (user_id, chapter_id) values
    ('00000000-0000-4000-9003-0000000000ca', '00000000-0000-4000-9002-00000000000a'),
    ('00000000-0000-4000-9003-0000000000cb', '00000000-0000-4000-9002-00000000000b');
analyze public.peer_mentors, public.chapter_memberships, public.coordinator_assignments, public.peer_mentor_status_history;

-- What this transaction has read so far, per table and index of public and auth: scans, tuples returned,
-- tuples fetched, buffer pages requested.
create function pg_temp.reads()
returns jsonb
language sql
as $$
    select jsonb_object_agg(c.oid::regclass::text, jsonb_build_array(
               pg_stat_get_xact_numscans(c.oid), pg_stat_get_xact_tuples_returned(c.oid),
               pg_stat_get_xact_tuples_fetched(c.oid), pg_stat_get_xact_blocks_fetched(c.oid)))
    from pg_class c
    join pg_namespace n on n.oid = c.relnamespace
    where n.nspname in ('public', 'auth') and c.relkind in ('r', 'i', 'p')
$$;

-- The work one call did (only what changed) and its answer (error code, message with the id blanked,
-- detail, hint), as the signed-in user.
create function pg_temp.call(p_user uuid, p_mentor uuid, p_status public.mentor_status, p_reason text)
returns jsonb
language plpgsql
as $$
declare
    v_before jsonb;
    v_after jsonb;
    v_answer text;
    v_detail text;
    v_hint text;
begin
    perform set_config('request.jwt.claims', jsonb_build_object('sub', p_user, 'role', 'authenticated')::text, true);
    v_before := pg_temp.reads();
    begin
        perform set_config('role', 'authenticated', true);
        perform public.change_mentor_status(p_mentor, p_status, p_reason);
        reset role;
        v_answer := 'ok';
    exception when others then
        get stacked diagnostics v_detail = pg_exception_detail, v_hint = pg_exception_hint;
        v_answer := sqlstate || ' ' || replace(sqlerrm, coalesce(p_mentor::text, '-'), '<id>')
                    || ' | ' || coalesce(v_detail, '') || ' | ' || coalesce(v_hint, '');
    end;
    v_after := pg_temp.reads();
    return jsonb_build_object('answer', v_answer, 'work', (
        select coalesce(jsonb_object_agg(a.key, jsonb_build_array(
                   (a.value->>0)::bigint - (b.value->>0)::bigint, (a.value->>1)::bigint - (b.value->>1)::bigint,
                   (a.value->>2)::bigint - (b.value->>2)::bigint, (a.value->>3)::bigint - (b.value->>3)::bigint)), '{}')
        from jsonb_each(v_after) a
        join jsonb_each(v_before) b on b.key = a.key
        where a.value <> b.value));
end;
$$;

-- Calls the rpc n times for both mentors (plans cached, index metadata read), then once more each,
-- and returns the two last measurements.
create function pg_temp.compare(p_user uuid, p_existing uuid, p_missing uuid)
returns table (existing jsonb, missing jsonb)
language plpgsql
as $$
declare
    i int;
begin
    for i in 1 .. 7 loop
        perform pg_temp.call(p_user, p_existing, 'paused', 'coordinator_manual_pause');
        perform pg_temp.call(p_user, p_missing, 'paused', 'coordinator_manual_pause');
    end loop;
    existing := pg_temp.call(p_user, p_existing, 'paused', 'coordinator_manual_pause');
    missing := pg_temp.call(p_user, p_missing, 'paused', 'coordinator_manual_pause');
    return next;
end;
$$;

-- The oracle ------------------------------------------------------------------------------------
create temp table stranger as
select * from pg_temp.compare('00000000-0000-4000-9003-0000000000bb', '00000000-0000-4000-9004-0000000000a1', '00000000-0000-4000-9fff-000000000404');
create temp table other_coordinator as
select * from pg_temp.compare('00000000-0000-4000-9003-0000000000cb', '00000000-0000-4000-9004-0000000000a1', '00000000-0000-4000-9fff-000000000404');

select is((select existing->>'answer' from stranger), (select missing->>'answer' from stranger),
    'a stranger (a mentor of another chapter) gets the same answer for an existing mentor as for a missing one');
select alike((select existing->>'answer' from stranger), 'MS404 change_mentor_status: mentor <id> not found%',
    'and that answer is MS404 "not found"');
select is((select existing->'work' from stranger), (select missing->'work' from stranger),
    'the stranger''s call reads the same relations, tuples and pages for an existing mentor as for a missing one');
select is((select existing->>'answer' from other_coordinator), (select missing->>'answer' from other_coordinator),
    'a coordinator of another chapter gets the same answer for an existing mentor as for a missing one');
select is((select existing->'work' from other_coordinator), (select missing->'work' from other_coordinator),
    'and the same work: same relations, tuples and pages');
select ok((select (existing->'work') ?| array['chapter_memberships_pkey', 'chapter_memberships_chapter_id_mentor_id_idx'] from other_coordinator),
    'the measurement sees the membership probe (the counters are live)');

-- The work does not depend on the mentor at all: a third, random id costs the same
select is((pg_temp.call('00000000-0000-4000-9003-0000000000cb', gen_random_uuid(), 'paused', 'coordinator_manual_pause'))->'work',
          (select missing->'work' from other_coordinator),
    'a random id costs the coordinator exactly the same too');

-- Oversized input -------------------------------------------------------------------------------
create temp table oversized as
select pg_temp.call('00000000-0000-4000-9003-0000000000a1', '00000000-0000-4000-9004-0000000000a1', 'paused', repeat('a', 64)) as c64,
       pg_temp.call('00000000-0000-4000-9003-0000000000a1', '00000000-0000-4000-9004-0000000000a1', 'paused', repeat('x', 1048576)) as c1mb,
       pg_temp.call('00000000-0000-4000-9003-0000000000a1', '00000000-0000-4000-9004-0000000000a1', 'paused', 'self_pause' || repeat(' ', 1048576)) as cpad,
       pg_temp.call('00000000-0000-4000-9003-0000000000a1', '00000000-0000-4000-9004-0000000000a1', 'paused', repeat('a', 63)) as c63;
select alike((select c64->>'answer' from oversized), 'MS413 change_mentor_status: reason is 64 characters long; the limit is 63 characters%',
    'a 64-character reason is refused with MS413, naming the limit');
select is((select c64->'work' from oversized), '{}'::jsonb, 'before any lookup: no table or index was read');
select alike((select c1mb->>'answer' from oversized), 'MS413 change_mentor_status: reason is 1048576 characters long; the limit is 63 characters%',
    'a 1 MB reason is refused with MS413');
select is((select c1mb->'work' from oversized), '{}'::jsonb, 'without reading anything');
select alike((select cpad->>'answer' from oversized), 'MS413 %', 'a valid code padded with 1 MB of spaces is refused with MS413');
select alike((select c63->>'answer' from oversized), 'MS422 %', 'a 63-character reason is looked up (and is no code: MS422)');

set local request.jwt.claims = '{"role":"authenticated"}';
set local role authenticated;
select throws_ok(
    $$select public.change_mentor_status('00000000-0000-4000-9004-0000000000a1', 'paused', repeat('z', 100))$$,
    'MS413', null, 'the limit is checked even before the caller (no user: MS413, not MS401)');
reset role;
set local role service_role;
set local request.jwt.claims = '{"role":"service_role"}';
select throws_ok(
    $$select mentor_status_private.record_system_status_change('00000000-0000-4000-9004-0000000000a1', 'paused', repeat('z', 100), null)$$,
    'MS413', null, 'the system path refuses an oversized reason too (MS413)');
reset role;

-- Rate limit --------------------------------------------------------------------------------------
create function pg_temp.as_user(p_user uuid, p_sql text)
returns text
language plpgsql
as $$
begin
    perform set_config('request.jwt.claims', jsonb_build_object('sub', p_user, 'role', 'authenticated')::text, true);
    perform set_config('role', 'authenticated', true);
    execute p_sql;
    reset role;
    return 'ok';
exception when others then
    return sqlstate || ' ' || sqlerrm;
end;
$$;

-- M pauses and resumes themself 5 times: 10 changes
select is(
    (select array_agg(pg_temp.as_user('00000000-0000-4000-9003-0000000000a1',
        format($$select public.change_mentor_status('00000000-0000-4000-9004-0000000000a1', %L, %L)$$,
               case when n % 2 = 1 then 'paused' else 'active' end, case when n % 2 = 1 then 'self_pause' else 'self_resume' end))
        order by n)
     from generate_series(1, 10) n),
    array_fill('ok'::text, array[10]),
    'a mentor makes 10 changes of their own status');
create temp table counts_before as
select (select count(*) from public.peer_mentor_status_history where mentor_id = '00000000-0000-4000-9004-0000000000a1') as records,
       (select status from public.peer_mentors where id = '00000000-0000-4000-9004-0000000000a1') as status;
select alike(pg_temp.as_user('00000000-0000-4000-9003-0000000000a1',
          $$select public.change_mentor_status('00000000-0000-4000-9004-0000000000a1', 'paused', 'self_pause')$$),
    'MS429 change_mentor_status: you have changed your own status 10 times in the last 24 hours; the limit is 10; your next change is possible after %',
    'the 11th within 24 hours is refused with MS429, naming the count, the window, the limit and when to try again');
select is((select count(*) from public.peer_mentor_status_history where mentor_id = '00000000-0000-4000-9004-0000000000a1'),
          (select records from counts_before), 'no record was written by the refused change');
select is((select status from public.peer_mentors where id = '00000000-0000-4000-9004-0000000000a1'),
          (select status from counts_before), 'and the status did not change');
select ok((regexp_match(pg_temp.as_user('00000000-0000-4000-9003-0000000000a1',
          $$select public.change_mentor_status('00000000-0000-4000-9004-0000000000a1', 'paused', 'self_pause')$$),
          'possible after (.*)$'))[1]::timestamptz between now() + interval '23 hours' and now() + interval '25 hours',
    'the next change is possible 24 hours after the oldest counted change');
create function pg_temp.offered_to(p_user uuid, p_mentor uuid)
returns text[]
language plpgsql
as $$
declare v_codes text[];
begin
    perform set_config('request.jwt.claims', jsonb_build_object('sub', p_user, 'role', 'authenticated')::text, true);
    perform set_config('role', 'authenticated', true);
    select coalesce(array_agg(a.reason_code order by a.reason_code), '{}') into v_codes
    from public.allowed_status_changes(p_mentor) a;
    reset role;
    return v_codes;
end;
$$;
select is(pg_temp.offered_to('00000000-0000-4000-9003-0000000000a1', '00000000-0000-4000-9004-0000000000a1'),
    '{}'::text[], 'allowed_status_changes offers the mentor nothing while they are over the limit');
select is(pg_temp.offered_to('00000000-0000-4000-9003-0000000000ca', '00000000-0000-4000-9004-0000000000a1'),
    '{coordinator_deactivate,coordinator_manual_pause}'::text[], 'while their coordinator is offered what a coordinator may do');

-- A coordinator is not limited, and their changes do not count against a mentor
select is(
    (select array_agg(pg_temp.as_user('00000000-0000-4000-9003-0000000000ca',
        format($$select public.change_mentor_status('00000000-0000-4000-9004-0000000000a2', %L, %L)$$,
               case when n % 2 = 1 then 'paused' else 'active' end, case when n % 2 = 1 then 'coordinator_manual_pause' else 'coordinator_resume' end))
        order by n)
     from generate_series(1, 14) n),
    array_fill('ok'::text, array[14]),
    'a coordinator makes 14 changes of one mentor in a row: not limited');
select is(
    (select array_agg(pg_temp.as_user('00000000-0000-4000-9003-0000000000a2',
        format($$select public.change_mentor_status('00000000-0000-4000-9004-0000000000a2', %L, %L)$$,
               case when n % 2 = 1 then 'paused' else 'active' end, case when n % 2 = 1 then 'self_pause' else 'self_resume' end))
        order by n)
     from generate_series(1, 10) n),
    array_fill('ok'::text, array[10]),
    'the mentor then still has all 10 own changes: the coordinator''s did not count');
select alike(pg_temp.as_user('00000000-0000-4000-9003-0000000000a2',
          $$select public.change_mentor_status('00000000-0000-4000-9004-0000000000a2', 'paused', 'self_pause')$$),
    'MS429 %', 'and the 11th is refused');
select is(pg_temp.as_user('00000000-0000-4000-9003-0000000000ca',
          $$select public.change_mentor_status('00000000-0000-4000-9004-0000000000a2', 'paused', 'coordinator_manual_pause')$$),
    'ok', 'while the coordinator can still pause that mentor');

-- The limit is data
update public.mentor_status_settings set self_change_limit = 12, updated_at = now();
select is(pg_temp.as_user('00000000-0000-4000-9003-0000000000a1',
          $$select public.change_mentor_status('00000000-0000-4000-9004-0000000000a1', 'paused', 'self_pause')$$),
    'ok', 'raising the limit in public.mentor_status_settings to 12 allows an 11th change');
update public.mentor_status_settings set self_change_window = interval '1 millisecond';
select pg_sleep(0.01)::text as slept;
select is(pg_temp.as_user('00000000-0000-4000-9003-0000000000a1',
          $$select public.change_mentor_status('00000000-0000-4000-9004-0000000000a1', 'active', 'self_resume')$$),
    'ok', 'changes older than the window do not count');
update public.mentor_status_settings set self_change_limit = 0;
select alike(pg_temp.as_user('00000000-0000-4000-9003-0000000000a1',
          $$select public.change_mentor_status('00000000-0000-4000-9004-0000000000a1', 'paused', 'self_pause')$$),
    'MS429 %the limit is 0; changing your own status is switched off', 'a limit of 0 switches own changes off, and says so');
reset role;

-- Stranger's view of allowed_status_changes: nothing, as for a missing mentor
select is(pg_temp.offered_to('00000000-0000-4000-9003-0000000000bb', '00000000-0000-4000-9004-0000000000a1'), '{}'::text[],
    'allowed_status_changes gives a stranger nothing for an existing mentor');
select is(pg_temp.offered_to('00000000-0000-4000-9003-0000000000bb', '00000000-0000-4000-9fff-000000000404'), '{}'::text[],
    'exactly as for a missing one');

-- The MS codes are documented where the rpc is ---------------------------------------------------------
select ok(obj_description('public.change_mentor_status(uuid, public.mentor_status, text)'::regprocedure, 'pg_proc')
          ~ 'MS412' and obj_description('public.change_mentor_status(uuid, public.mentor_status, text)'::regprocedure, 'pg_proc') ~ 'MS413'
          and obj_description('public.change_mentor_status(uuid, public.mentor_status, text)'::regprocedure, 'pg_proc') ~ 'MS429',
    'the rpc''s comment lists MS412, MS413 and MS429');

select * from finish();
rollback;
