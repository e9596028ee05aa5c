-- Row-level security and status changes (task-003): who may read and change what.
-- Every actor x operation has its expected outcome in ONE table (expected_outcomes below).
--
-- Outcomes:
--   visible / hidden   a read returns the target's rows / zero rows
--   ok                 the change succeeded and returned the right history record
--                      (changed_by = the actor, previous -> new status as asked)
--   <SQLSTATE>         the operation failed with that error:
--                      42501 permission denied; MS403 reason code not yours to use;
--                      MS404 mentor not found or not yours (same error as for a mentor that does
--                      not exist, so that existence is not leaked)
-- Every case runs in its own subtransaction that is always rolled back, so each starts from the
-- fixtures below (target active; for the resume cases the target first paused themself).
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;

-- Fixtures ------------------------------------------------------------------------------------
-- Organisation O with chapters A, B, C.
--   mentor      (user ...c003-01) -> mentor M, chapter A        "the mentor"
--   peer        (user ...c003-02) -> mentor P, chapter A        "another mentor of the same chapter"
--   multi       (user ...c003-03) -> mentor X, chapters B and C "a multi-chapter mentor"
--   coord_a     coordinates A                                   "coordinator of the chapter"
--   coord_b     coordinates B                                   "coordinator of another chapter"
--   coord_c     coordinates C (one of X's two chapters)
--   coord_none  assignment to A revoked                         "a coordinator with no chapter"
insert into auth.users (id, email) values
    ('00000000-0000-4000-c003-000000000001', 'mentor@test.example'),
    ('00000000-0000-4000-c003-000000000002', 'peer@test.example'),
    ('00000000-0000-4000-c003-000000000003', 'multi@test.example'),
    ('00000000-0000-4000-c003-000000000011', 'coord_a@test.example'),
    ('00000000-0000-4000-c003-000000000012', 'coord_b@test.example'),
    ('00000000-0000-4000-c003-000000000013', 'coord_c@test.example'),
    ('00000000-0000-4000-c003-000000000014', 'coord_none@test.example');
insert into public.organisations (id, name) values
    ('00000000-0000-4000-c001-000000000001', 'Matrix organisation');
insert into public.chapters (id, organisation_id, name) values
    ('00000000-0000-4000-c002-00000000000a', '00000000-0000-4000-c001-000000000001', 'Chapter A'),
    ('00000000-0000-4000-c002-00000000000b', '00000000-0000-4000-c001-000000000001', 'Chapter B'),
    ('00000000-0000-4000-c002-00000000000c', '00000000-0000-4000-c001-000000000001', 'Chapter C');
insert into public.peer_mentors (id, user_id, organisation_id, display_name) values
    ('00000000-0000-4000-c004-000000000001', '00000000-0000-4000-c003-000000000001', '00000000-0000-4000-c001-000000000001', 'Mentor M'),
    ('00000000-0000-4000-c004-000000000002', '00000000-0000-4000-c003-000000000002', '00000000-0000-4000-c001-000000000001', 'Mentor P'),
    ('00000000-0000-4000-c004-000000000003', '00000000-0000-4000-c003-000000000003', '00000000-0000-4000-c001-000000000001', 'Mentor X');
insert into public.chapter_memberships (mentor_id, chapter_id) values
    ('00000000-0000-4000-c004-000000000001', '00000000-0000-4000-c002-00000000000a'),
    ('00000000-0000-4000-c004-000000000002', '00000000-0000-4000-c002-00000000000a'),
    ('00000000-0000-4000-c004-000000000003', '00000000-0000-4000-c002-00000000000b'),
    ('00000000-0000-4000-c004-000000000003', '00000000-0000-4000-c002-00000000000c');
insert into public.coordinator_assignments (user_id, chapter_id, revoked_at) values
    ('00000000-0000-4000-c003-000000000011', '00000000-0000-4000-c002-00000000000a', null),
    ('00000000-0000-4000-c003-000000000012', '00000000-0000-4000-c002-00000000000b', null),
    ('00000000-0000-4000-c003-000000000013', '00000000-0000-4000-c002-00000000000c', null),
    ('00000000-0000-4000-c003-000000000014', '00000000-0000-4000-c002-00000000000a', now() - interval '1 day');
-- Each mentor's initial_status record is written by the insert above (issue 10).

create temp table actors (actor text primary key, db_role text not null, user_id uuid);
insert into actors values
    ('anon',         'anon',          null),
    ('mentor',       'authenticated', '00000000-0000-4000-c003-000000000001'),
    ('peer',         'authenticated', '00000000-0000-4000-c003-000000000002'),
    ('multi',        'authenticated', '00000000-0000-4000-c003-000000000003'),
    ('coord_a',      'authenticated', '00000000-0000-4000-c003-000000000011'),
    ('coord_b',      'authenticated', '00000000-0000-4000-c003-000000000012'),
    ('coord_c',      'authenticated', '00000000-0000-4000-c003-000000000013'),
    ('coord_none',   'authenticated', '00000000-0000-4000-c003-000000000014'),
    ('service_role', 'service_role',  null);

create temp table targets (target text primary key, mentor_id uuid not null);
insert into targets values
    ('M', '00000000-0000-4000-c004-000000000001'),
    ('X', '00000000-0000-4000-c004-000000000003');

-- The expected outcomes -------------------------------------------------------------------------
create temp table expected_outcomes (actor text, target text, operation text, expected text);
insert into expected_outcomes (actor, target, operation, expected)
select actor, target, operation, expected
from (values
 --  actor          target  read mentor read history self pause coord pause self resume coord resume insert   update   delete
    ('anon',         'M',   '42501',    '42501',     '42501',   '42501',    '42501',    '42501',     '42501', '42501', '42501'),
    ('mentor',       'M',   'visible',  'visible',   'ok',      'MS403',    'ok',       'MS403',     '42501', '42501', '42501'),
    ('peer',         'M',   'hidden',   'hidden',    'MS404',   'MS404',    'MS404',    'MS404',     '42501', '42501', '42501'),
    ('coord_a',      'M',   'visible',  'visible',   'MS403',   'ok',       'MS403',    'ok',        '42501', '42501', '42501'),
    ('coord_b',      'M',   'hidden',   'hidden',    'MS404',   'MS404',    'MS404',    'MS404',     '42501', '42501', '42501'),
    ('coord_c',      'X',   'visible',  'visible',   'MS403',   'ok',       'MS403',    'ok',        '42501', '42501', '42501'),
    ('coord_none',   'M',   'hidden',   'hidden',    'MS404',   'MS404',    'MS404',    'MS404',     '42501', '42501', '42501'),
    ('service_role', 'M',   'visible',  'visible',   '42501',   '42501',    '42501',    '42501',     '42501', '42501', '42501'),
    -- the multi-chapter mentor: each coordinator of one of X's chapters sees X; nobody else does
    ('coord_b',      'X',   'visible',  'visible',   'MS403',   'ok',       'MS403',    'ok',        '42501', '42501', '42501'),
    ('coord_a',      'X',   'hidden',   'hidden',    'MS404',   'MS404',    'MS404',    'MS404',     '42501', '42501', '42501'),
    ('coord_c',      'M',   'hidden',   'hidden',    'MS404',   'MS404',    'MS404',    'MS404',     '42501', '42501', '42501'),
    ('multi',        'X',   'visible',  'visible',   'ok',      'MS403',    'ok',       'MS403',     '42501', '42501', '42501'),
    ('mentor',       'X',   'hidden',   'hidden',    'MS404',   'MS404',    'MS404',    'MS404',     '42501', '42501', '42501')
) as matrix (actor, target, read_mentor, read_history, self_pause, coord_pause, self_resume, coord_resume, ins, upd, del)
cross join lateral (values
    ('read mentor', read_mentor), ('read history', read_history),
    ('self pause', self_pause), ('coordinator pause', coord_pause),
    ('self resume', self_resume), ('coordinator resume', coord_resume),
    ('direct history insert', ins), ('history update', upd), ('history delete', del)
) as cell (operation, expected);

-- Runs one case as the actor and returns its outcome. Everything it did is rolled back.
create function pg_temp.run_case(p_actor text, p_target text, p_operation text)
returns text
language plpgsql
as $$
declare
    v_role text;
    v_user_id uuid;
    v_mentor_id uuid;
    v_rows bigint;
    v_record public.peer_mentor_status_history;
    v_from public.mentor_status;
    v_to public.mentor_status;
    v_outcome text;
begin
    select a.db_role, a.user_id into strict v_role, v_user_id from actors a where a.actor = p_actor;
    select t.mentor_id into strict v_mentor_id from targets t where t.target = p_target;

    begin
        if p_operation like '%resume' then
            -- As the owner: the mentor paused themself (a self_pause record and the status in one
            -- statement), so that both resumes are allowed by the rules of issue 10.
            with recorded as (
                insert into public.peer_mentor_status_history (mentor_id, previous_status, new_status, changed_by, changed_at, reason)
                select m.id, 'active', 'paused', m.user_id, clock_timestamp(), 'self_pause'
                from public.peer_mentors m where m.id = v_mentor_id
                returning mentor_id, changed_at)
            update public.peer_mentors m set status = 'paused', status_changed_at = r.changed_at
            from recorded r where m.id = r.mentor_id;
        end if;

        -- Act as the user: what "set local role ...; set local request.jwt.claims = ..." does.
        perform set_config('request.jwt.claims',
                           jsonb_strip_nulls(jsonb_build_object('sub', v_user_id, 'role', v_role))::text, true);
        perform set_config('role', v_role, true);

        case p_operation
            when 'read mentor' then
                select count(*) into v_rows from public.peer_mentors where id = v_mentor_id;
                v_outcome := case when v_rows > 0 then 'visible' else 'hidden' end;
            when 'read history' then
                select count(*) into v_rows from public.peer_mentor_status_history where mentor_id = v_mentor_id;
                v_outcome := case when v_rows > 0 then 'visible' else 'hidden' end;
            when 'self pause' then
                v_record := public.change_mentor_status(v_mentor_id, 'paused', 'self_pause');
                v_from := 'active'; v_to := 'paused';
            when 'coordinator pause' then
                v_record := public.change_mentor_status(v_mentor_id, 'paused', 'coordinator_manual_pause');
                v_from := 'active'; v_to := 'paused';
            when 'self resume' then
                v_record := public.change_mentor_status(v_mentor_id, 'active', 'self_resume');
                v_from := 'paused'; v_to := 'active';
            when 'coordinator resume' then
                v_record := public.change_mentor_status(v_mentor_id, 'active', 'coordinator_resume');
                v_from := 'paused'; v_to := 'active';
            when 'direct history insert' then
                insert into public.peer_mentor_status_history (mentor_id, previous_status, new_status, changed_by, reason)
                values (v_mentor_id, 'active', 'paused', v_user_id, 'self_pause');
                v_outcome := 'inserted';
            when 'history update' then
                update public.peer_mentor_status_history set reason = 'self_pause' where mentor_id = v_mentor_id;
                get diagnostics v_rows = row_count;
                v_outcome := 'updated ' || v_rows;
            when 'history delete' then
                delete from public.peer_mentor_status_history where mentor_id = v_mentor_id;
                get diagnostics v_rows = row_count;
                v_outcome := 'deleted ' || v_rows;
        end case;

        if v_to is not null then
            v_outcome := case
                when v_record.mentor_id = v_mentor_id
                     and v_record.changed_by is not distinct from v_user_id
                     and v_record.previous_status = v_from
                     and v_record.new_status = v_to
                     and v_record.job_run_id is null
                then 'ok'
                else 'wrong record: ' || row_to_json(v_record)::text
            end;
        end if;

        raise exception using errcode = 'TSTRB', message = v_outcome;  -- roll the case back
    exception
        when sqlstate 'TSTRB' then
            return sqlerrm;
        when others then
            return sqlstate;
    end;
end;
$$;

select plan((select count(*)::int from expected_outcomes) + 13);

-- The matrix ----------------------------------------------------------------------------------
select is(pg_temp.run_case(e.actor, e.target, e.operation), e.expected,
          format('%s on mentor %s: %s -> %s', e.actor, e.target, e.operation, e.expected))
from expected_outcomes e
order by e.actor, e.target, e.operation;

-- Both directions, step by step, the way a client session does it ---------------------------------
-- A legitimate change persists: coordinator of chapter A pauses M ...
set local role authenticated;
set local request.jwt.claims = '{"sub":"00000000-0000-4000-c003-000000000011","role":"authenticated"}';
select lives_ok(
    $$select public.change_mentor_status('00000000-0000-4000-c004-000000000001', 'paused', 'coordinator_manual_pause')$$,
    'coord_a pauses mentor M of chapter A');
reset role;

select is((select status from public.peer_mentors where id = '00000000-0000-4000-c004-000000000001'),
    'paused'::public.mentor_status, 'M is now paused');
select results_eq(
    $$select previous_status, new_status, changed_by, reason from public.peer_mentor_status_history
      where mentor_id = '00000000-0000-4000-c004-000000000001' order by changed_at desc limit 1$$,
    $$values ('active'::public.mentor_status, 'paused'::public.mentor_status,
              '00000000-0000-4000-c003-000000000011'::uuid, 'coordinator_manual_pause'::text)$$,
    'the history record names coord_a, active -> paused, coordinator_manual_pause');

-- ... the mentor sees their new history record ...
set local role authenticated;
set local request.jwt.claims = '{"sub":"00000000-0000-4000-c003-000000000001","role":"authenticated"}';
select is((select count(*)::int from public.peer_mentor_status_history), 2,
    'M reads exactly their own two history records');
select is((select count(*)::int from public.peer_mentors), 1, 'M reads exactly one mentor row, their own');
select is((select array_agg(name order by name) from public.chapters), array['Chapter A'],
    'M reads only their own chapter');
reset role;

-- ... and across chapters nothing is visible or changeable.
set local role authenticated;
set local request.jwt.claims = '{"sub":"00000000-0000-4000-c003-000000000013","role":"authenticated"}';
select is((select array_agg(display_name order by display_name) from public.peer_mentors), array['Mentor X'],
    'coord_c reads only the mentors of chapter C (X, who is also in B)');
select is((select count(*)::int from public.peer_mentor_status_history
           where mentor_id <> '00000000-0000-4000-c004-000000000003'), 0,
    'coord_c reads no history of mentors outside chapter C');
select is((select array_agg(chapter_id) from public.chapter_memberships), array['00000000-0000-4000-c002-00000000000c'::uuid],
    'coord_c reads the memberships of chapter C only, not X''s membership of chapter B');
select throws_ok(
    $$select public.change_mentor_status('00000000-0000-4000-c004-000000000001', 'active', 'coordinator_resume')$$,
    'MS404', null, 'coord_c cannot resume M of chapter A');
reset role;

select is((select status from public.peer_mentors where id = '00000000-0000-4000-c004-000000000001'),
    'paused'::public.mentor_status, 'M is still paused after the refused cross-chapter resume');

set local role authenticated;
set local request.jwt.claims = '{"sub":"00000000-0000-4000-c003-000000000014","role":"authenticated"}';
select is((select count(*)::int from public.chapters) + (select count(*)::int from public.chapter_memberships)
          + (select count(*)::int from public.peer_mentors), 0,
    'coord_none (revoked assignment) reads no chapter, membership or mentor');
reset role;

-- anon holds no privilege on any app table (issue 10 part 4): a read is refused, not just empty.
select ok(not has_table_privilege('anon', 'public.peer_mentors', 'SELECT')
          and not has_table_privilege('anon', 'public.chapters', 'SELECT')
          and not has_table_privilege('anon', 'public.organisations', 'SELECT'),
    'anon reads no mentor, chapter or organisation (no SELECT privilege at all)');

select * from finish();
rollback;
