-- issue 10, part 1: who paused decides who may resume. Every state (current status x cause of the
-- pause) x every actor (the mentor, a coordinator of their chapter, the system path) x every reason code
-- that changes a status, with the outcome the organisation's rules give, written out by hand below
-- (NOT read from public.mentor_status_rules, which is what is under test).
--
-- Outcomes:
--   ok      the change succeeded: the record returned is right (previous -> new, changed_by, reason),
--           the status changed, exactly one history record was added
--   MS403   the code is not this actor's (a coordinator code by the mentor, a system code through the rpc,
--           a person's code through the system path)
--   MS409   the code does not lead from the current status at all (e.g. self_pause of a paused mentor)
--   MS412   the code leads from this status, but the cause of the pause does not let this actor use it
-- Every refusal is also checked to have left the mentor's history and status exactly as before.
-- Every case runs in its own subtransaction that is always rolled back.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;

-- Fixtures ------------------------------------------------------------------------------------
-- Organisation O, chapter A. Mentor M (user ...e003-01) and mentor N (user ...e003-02, created paused)
-- in chapter A; coordinator C (user ...e003-11) of chapter A.
insert into auth.users (id, email) values
    ('00000000-0000-4000-e003-000000000001', 'rules.mentor@test.example'),
    ('00000000-0000-4000-e003-000000000002', 'rules.created.paused@test.example'),
    ('00000000-0000-4000-e003-000000000011', 'rules.coordinator@test.example');
insert into public.organisations (id, name) values
    ('00000000-0000-4000-e001-000000000001', 'Rules organisation');
insert into public.chapters (id, organisation_id, name) values
    ('00000000-0000-4000-e002-000000000001', '00000000-0000-4000-e001-000000000001', 'Rules chapter A');
insert into public.peer_mentors (id, user_id, organisation_id, display_name, status, certification_expires_at) values
    ('00000000-0000-4000-e004-000000000001', '00000000-0000-4000-e003-000000000001', '00000000-0000-4000-e001-000000000001',
     'Mentor M', 'active', now() + interval '100 days'),
    ('00000000-0000-4000-e004-000000000002', '00000000-0000-4000-e003-000000000002', '00000000-0000-4000-e001-000000000001',
     'Mentor N, created paused', 'paused', now() + interval '100 days');
insert into public.chapter_memberships (mentor_id, chapter_id) values
    ('00000000-0000-4000-e004-000000000001', '00000000-0000-4000-e002-000000000001'),
    ('00000000-0000-4000-e004-000000000002', '00000000-0000-4000-e002-000000000001');
insert into public.coordinator_assignments (user_id, chapter_id) values
    ('00000000-0000-4000-e003-000000000011', '00000000-0000-4000-e002-000000000001');

-- The states: how each is reached (as the table owner: the history record and the status in one
-- statement), and which mentor it is about.
create temp table states (state text primary key, mentor_id uuid not null, mentor_user uuid not null,
                          status public.mentor_status not null, cause text, certification_valid boolean not null);
insert into states values
    ('active',                          '00000000-0000-4000-e004-000000000001', '00000000-0000-4000-e003-000000000001', 'active',   null, true),
    ('paused by self_pause',            '00000000-0000-4000-e004-000000000001', '00000000-0000-4000-e003-000000000001', 'paused',   'self_pause', true),
    ('paused by coordinator',           '00000000-0000-4000-e004-000000000001', '00000000-0000-4000-e003-000000000001', 'paused',   'coordinator_manual_pause', true),
    ('paused by expiry, renewed since', '00000000-0000-4000-e004-000000000001', '00000000-0000-4000-e003-000000000001', 'paused',   'certification_expired', true),
    ('paused by expiry, still expired', '00000000-0000-4000-e004-000000000001', '00000000-0000-4000-e003-000000000001', 'paused',   'certification_expired', false),
    ('created paused',                  '00000000-0000-4000-e004-000000000002', '00000000-0000-4000-e003-000000000002', 'paused',   null, true),
    ('inactive',                        '00000000-0000-4000-e004-000000000001', '00000000-0000-4000-e003-000000000001', 'inactive', null, true);

create temp table actors (actor text primary key);
insert into actors values ('mentor'), ('coordinator'), ('system');

-- Each code that changes a status, the status it leads to, the actor it is for, and the statuses it
-- leads from (the transitions of task-003, plus the new override).
create temp table codes (code text primary key, to_status public.mentor_status not null, for_actor text not null,
                         from_statuses public.mentor_status[] not null);
insert into codes values
    ('self_pause',                         'paused',   'mentor',      '{active}'),
    ('self_resume',                        'active',   'mentor',      '{paused}'),
    ('coordinator_manual_pause',           'paused',   'coordinator', '{active}'),
    ('coordinator_resume',                 'active',   'coordinator', '{paused}'),
    ('coordinator_deactivate',             'inactive', 'coordinator', '{active,paused}'),
    ('coordinator_reactivate',             'active',   'coordinator', '{inactive}'),
    ('coordinator_certification_override', 'active',   'coordinator', '{paused}'),
    ('certification_expired',              'paused',   'system',      '{active}'),
    ('certification_renewed',              'active',   'system',      '{paused}');

-- What the organisation allows: the issue's rules, by hand.
create temp table allowed (state text, actor text, code text);
insert into allowed values
    ('active',                          'mentor',      'self_pause'),
    ('active',                          'coordinator', 'coordinator_manual_pause'),
    ('active',                          'coordinator', 'coordinator_deactivate'),
    ('active',                          'system',      'certification_expired'),
    -- self_pause: the mentor or a coordinator may resume
    ('paused by self_pause',            'mentor',      'self_resume'),
    ('paused by self_pause',            'coordinator', 'coordinator_resume'),
    ('paused by self_pause',            'coordinator', 'coordinator_deactivate'),
    -- coordinator_manual_pause: a coordinator only; certification_renewed never resumes it
    ('paused by coordinator',           'coordinator', 'coordinator_resume'),
    ('paused by coordinator',           'coordinator', 'coordinator_deactivate'),
    -- certification_expired: only certification_renewed (system, valid certification) or the override
    ('paused by expiry, renewed since', 'system',      'certification_renewed'),
    ('paused by expiry, renewed since', 'coordinator', 'coordinator_certification_override'),
    ('paused by expiry, renewed since', 'coordinator', 'coordinator_deactivate'),
    ('paused by expiry, still expired', 'coordinator', 'coordinator_certification_override'),
    ('paused by expiry, still expired', 'coordinator', 'coordinator_deactivate'),
    -- created paused: nobody recorded why; a coordinator decides
    ('created paused',                  'coordinator', 'coordinator_resume'),
    ('created paused',                  'coordinator', 'coordinator_deactivate'),
    -- coordinator_deactivate / coordinator_reactivate stay coordinator-only
    ('inactive',                        'coordinator', 'coordinator_reactivate');

create temp table expected_outcomes as
select s.state, a.actor, c.code,
       case when exists (select 1 from allowed x where x.state = s.state and x.actor = a.actor and x.code = c.code) then 'ok'
            when c.for_actor <> a.actor then 'MS403'
            when not (s.status = any (c.from_statuses)) then 'MS409'
            else 'MS412' end as expected
from states s cross join actors a cross join codes c;

-- Puts the state in place as the owner: the pausing (or deactivating) record and the status together.
create function pg_temp.put_in_state(p_state text)
returns void
language plpgsql
as $$
declare
    s record;
begin
    select * into strict s from states where state = p_state;
    update public.peer_mentors
    set certification_expires_at = case when s.certification_valid then now() + interval '100 days' else now() - interval '1 day' end
    where id = s.mentor_id;
    if s.mentor_id = '00000000-0000-4000-e004-000000000001' and s.status <> 'active' then
        with recorded as (
            insert into public.peer_mentor_status_history (mentor_id, previous_status, new_status, changed_by, changed_at, reason)
            values (s.mentor_id, 'active', s.status,
                    case s.cause when 'self_pause' then s.mentor_user
                                 when 'coordinator_manual_pause' then '00000000-0000-4000-e003-000000000011'::uuid end,
                    clock_timestamp(),
                    coalesce(s.cause, 'coordinator_deactivate'))
            returning mentor_id, new_status, changed_at
        )
        update public.peer_mentors m set status = r.new_status, status_changed_at = r.changed_at
        from recorded r where m.id = r.mentor_id;
    end if;
end;
$$;

-- Runs one case and returns its outcome. Everything it did is rolled back.
create function pg_temp.run_case(p_state text, p_actor text, p_code text)
returns text
language plpgsql
as $$
declare
    s record;
    v_to public.mentor_status;
    v_user uuid;
    v_records_before bigint;
    v_records_after bigint;
    v_status_after public.mentor_status;
    v_record public.peer_mentor_status_history;
    v_outcome text;
begin
    select * into strict s from states where state = p_state;
    select c.to_status into strict v_to from codes c where c.code = p_code;
    v_user := case p_actor when 'mentor' then s.mentor_user
                           when 'coordinator' then '00000000-0000-4000-e003-000000000011'::uuid end;
    begin
        perform pg_temp.put_in_state(p_state);
        if (select m.status from public.peer_mentors m where m.id = s.mentor_id) <> s.status
           or mentor_status_private.pause_cause(s.mentor_id, s.status) is distinct from coalesce(s.cause, case when s.status = 'paused' then 'initial_status' end) then
            raise exception using errcode = 'TSTRB', message = 'fixture: state not reached';
        end if;
        select count(*) into v_records_before from public.peer_mentor_status_history h where h.mentor_id = s.mentor_id;

        begin
            if p_actor = 'system' then
                -- the system claims an expired certification only for one that has expired
                if p_code = 'certification_expired' then
                    update public.peer_mentors set certification_expires_at = now() - interval '1 day' where id = s.mentor_id;
                end if;
                perform set_config('request.jwt.claims', '{"role":"service_role"}', true);
                perform set_config('role', 'service_role', true);
                v_record := mentor_status_private.record_system_status_change(s.mentor_id, v_to, p_code, null);
            else
                perform set_config('request.jwt.claims', jsonb_build_object('sub', v_user, 'role', 'authenticated')::text, true);
                perform set_config('role', 'authenticated', true);
                v_record := public.change_mentor_status(s.mentor_id, v_to, p_code);
            end if;
            reset role;
            v_outcome := case
                when v_record.mentor_id = s.mentor_id and v_record.previous_status = s.status and v_record.new_status = v_to
                     and v_record.changed_by is not distinct from v_user and v_record.reason = p_code
                then 'ok'
                else 'wrong record: ' || row_to_json(v_record)::text end;
        exception when others then
            v_outcome := sqlstate;  -- the role and everything the call did are rolled back with the subtransaction
        end;

        select count(*) into v_records_after from public.peer_mentor_status_history h where h.mentor_id = s.mentor_id;
        select m.status into v_status_after from public.peer_mentors m where m.id = s.mentor_id;
        if v_outcome = 'ok' and (v_records_after <> v_records_before + 1 or v_status_after <> v_to) then
            v_outcome := format('ok, but %s records added and status %s', v_records_after - v_records_before, v_status_after);
        elsif v_outcome <> 'ok' and (v_records_after <> v_records_before or v_status_after <> s.status) then
            v_outcome := v_outcome || format(', but %s records added and status %s', v_records_after - v_records_before, v_status_after);
        end if;
        raise exception using errcode = 'TSTRB', message = v_outcome;  -- roll the case back
    exception
        when sqlstate 'TSTRB' then
            return sqlerrm;
    end;
end;
$$;

-- allowed_status_changes as the actor, in the state; rolled back.
create function pg_temp.offered(p_state text, p_actor text)
returns text[]
language plpgsql
as $$
declare
    s record;
    v_codes text[];
begin
    select * into strict s from states where state = p_state;
    begin
        perform pg_temp.put_in_state(p_state);
        perform set_config('request.jwt.claims', jsonb_build_object('sub',
            case p_actor when 'mentor' then s.mentor_user else '00000000-0000-4000-e003-000000000011'::uuid end,
            'role', 'authenticated')::text, true);
        perform set_config('role', 'authenticated', true);
        select coalesce(array_agg(a.reason_code order by a.reason_code), '{}') into v_codes
        from public.allowed_status_changes(s.mentor_id) a;
        raise exception using errcode = 'TSTRB', message = array_to_string(v_codes, ',');
    exception
        when sqlstate 'TSTRB' then
            return coalesce(string_to_array(nullif(sqlerrm, ''), ','), '{}');
    end;
end;
$$;

select plan((select count(*)::int from expected_outcomes)
            + (select count(*)::int from states) * 2
            + 17);

-- The matrix ----------------------------------------------------------------------------------
select is(pg_temp.run_case(e.state, e.actor, e.code), e.expected,
          format('%s, %s uses %s -> %s', e.state, e.actor, e.code, e.expected))
from expected_outcomes e
order by e.state, e.actor, e.code;

-- What the UI is offered: allowed_status_changes gives each person exactly their allowed codes -------
select is(pg_temp.offered(s.state, a.actor),
          coalesce((select array_agg(x.code order by x.code) from allowed x where x.state = s.state and x.actor = a.actor), '{}'),
          format('%s: allowed_status_changes offers the %s exactly the allowed codes', s.state, a.actor))
from states s cross join (values ('mentor'), ('coordinator')) a (actor)
order by s.state, a.actor;

-- The refusal says who may do it instead ----------------------------------------------------------
select pg_temp.put_in_state('paused by coordinator');
set local role authenticated;
set local request.jwt.claims = '{"sub":"00000000-0000-4000-e003-000000000001","role":"authenticated"}';
select throws_ok(
    $$select public.change_mentor_status('00000000-0000-4000-e004-000000000001', 'active', 'self_resume')$$,
    'MS412', 'change_mentor_status: "self_resume" by the mentor is not allowed for a mentor paused by coordinator_manual_pause; '
             'who may make them active: a coordinator of one of the mentor''s chapters (coordinator_resume)',
    'a mentor cannot resume out of a coordinator''s pause (MS412), and the message says a coordinator may, with coordinator_resume');
create function pg_temp.message_of(p_sql text) returns text language plpgsql as $$
begin
    execute p_sql;
    return null;
exception when others then
    return sqlerrm;
end;
$$;
reset role;
set local role authenticated;
set local request.jwt.claims = '{"sub":"00000000-0000-4000-e003-000000000011","role":"authenticated"}';
select is(pg_temp.message_of($$select public.change_mentor_status('00000000-0000-4000-e004-000000000001', 'active', 'coordinator_certification_override')$$),
    'change_mentor_status: "coordinator_certification_override" by a coordinator is not allowed for a mentor paused by coordinator_manual_pause; '
    'who may make them active: a coordinator of one of the mentor''s chapters (coordinator_resume)',
    'the override is only for a certification pause: the coordinator is told to use coordinator_resume');
reset role;

-- certification_renewed never resumes a coordinator's pause, even with a valid certification
set local role service_role;
set local request.jwt.claims = '{"role":"service_role"}';
select throws_ok(
    $$select mentor_status_private.record_system_status_change('00000000-0000-4000-e004-000000000001', 'active', 'certification_renewed', null)$$,
    'MS412', 'record_system_status_change: "certification_renewed" by the system is not allowed for a mentor paused by coordinator_manual_pause; '
             'who may make them active: a coordinator of one of the mentor''s chapters (coordinator_resume)',
    'certification_renewed does not resume a mentor a coordinator paused (MS412)');
reset role;

-- A coordinator may resume out of their own pause ------------------------------------------------------
set local role authenticated;
set local request.jwt.claims = '{"sub":"00000000-0000-4000-e003-000000000011","role":"authenticated"}';
select lives_ok(
    $$select public.change_mentor_status('00000000-0000-4000-e004-000000000001', 'active', 'coordinator_resume')$$,
    'the coordinator resumes M out of the coordinator''s pause');
reset role;

-- After the job's pause, the mentor cannot resume themself: the issue's exact attack ---------------------
update public.peer_mentors set certification_expires_at = now() - interval '1 day'
where id = '00000000-0000-4000-e004-000000000001';
insert into public.status_job_runs (id, job_name, as_of, batch_size)
values ('00000000-0000-4000-e006-000000000001', 'certification_expiry', now(), 10);
-- (M among the paused: a seeded database has expired mentors of its own, which the job pauses too)
select is((select '00000000-0000-4000-e004-000000000001'::uuid = any (b.paused_mentor_ids)
           from mentor_status_private.pause_expired_certifications('00000000-0000-4000-e006-000000000001', now(), 10) b),
    true, 'the expiry job pauses M, whose certification expired');
set local role authenticated;
set local request.jwt.claims = '{"sub":"00000000-0000-4000-e003-000000000001","role":"authenticated"}';
select throws_ok(
    $$select public.change_mentor_status('00000000-0000-4000-e004-000000000001', 'active', 'self_resume')$$,
    'MS412', null,
    'a mentor the job paused cannot self_resume with an expired certification');
select is(pg_temp.message_of($$select public.change_mentor_status('00000000-0000-4000-e004-000000000001', 'active', 'self_resume')$$),
    'change_mentor_status: "self_resume" by the mentor is not allowed for a mentor paused by certification_expired; who may make them active: '
    'a coordinator of one of the mentor''s chapters (coordinator_certification_override); '
    'the system, with a certification that expires in the future (certification_renewed)',
    'the refusal names the override and the renewal');
reset role;
set local role service_role;
set local request.jwt.claims = '{"role":"service_role"}';
select throws_ok(
    $$select mentor_status_private.record_system_status_change('00000000-0000-4000-e004-000000000001', 'active', 'certification_renewed', null)$$,
    'MS412', null,
    'certification_renewed is refused while the certification is still expired');
reset role;
update public.peer_mentors set certification_expires_at = now() + interval '1 year'
where id = '00000000-0000-4000-e004-000000000001';
set local role service_role;
set local request.jwt.claims = '{"role":"service_role"}';
select lives_ok(
    $$select mentor_status_private.record_system_status_change('00000000-0000-4000-e004-000000000001', 'active', 'certification_renewed', null)$$,
    'once the certification is renewed, certification_renewed resumes M');
reset role;
select results_eq(
    $$select previous_status::text, new_status::text, reason from public.peer_mentor_status_history
      where mentor_id = '00000000-0000-4000-e004-000000000001' order by changed_at$$,
    $$values (null, 'active', 'initial_status'), ('active', 'paused', 'coordinator_manual_pause'),
             ('paused', 'active', 'coordinator_resume'), ('active', 'paused', 'certification_expired'),
             ('paused', 'active', 'certification_renewed')$$,
    'M''s history tells the whole story, and only the changes that were allowed');

-- The rules are data the app can read, not write -------------------------------------------------------
create temp table rule_count as select count(*)::int as n from public.mentor_status_rules;
grant select on rule_count to authenticated, service_role, anon;
set local role authenticated;
set local request.jwt.claims = '{"sub":"00000000-0000-4000-e003-000000000001","role":"authenticated"}';
select is((select count(*)::int from public.mentor_status_rules), (select n from rule_count),
    'a signed-in user reads every rule');
select is((select self_change_limit from public.mentor_status_settings), 10,
    'a signed-in user reads the settings (10 own changes a day by default)');
select throws_ok(
    $$insert into public.mentor_status_rules (reason_code, from_status, pause_cause, to_status, actor)
      values ('self_resume', 'paused', 'coordinator_manual_pause', 'active', 'self')$$,
    '42501', null, 'a signed-in user cannot add a rule');
select throws_ok($$update public.mentor_status_settings set self_change_limit = 1000$$,
    '42501', null, 'a signed-in user cannot raise the limit');
reset role;
set local role service_role;
select throws_ok($$delete from public.mentor_status_rules$$, '42501', null, 'service_role cannot delete rules');
reset role;
set local role anon;
select throws_ok($$select count(*) from public.mentor_status_rules$$, '42501', null, 'anon cannot read the rules');
reset role;
select cmp_ok((select n from rule_count), '>', 0, 'there are rules');

select * from finish();
rollback;
