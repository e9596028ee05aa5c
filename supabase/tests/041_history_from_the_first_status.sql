-- issue 10, part 2: every status has a history, from the first one. Every way of setting or changing
-- peer_mentors.status is tried, by every role that could: after each, a mentor's first record is its
-- initial_status (previous_status NULL) and its newest record has its current status. A path that would
-- leave a status without its record is refused whole (MS101 for the owner, 42501 for API roles).
-- COPY (binary and text, the import path) is tried by tests/MentorStatus.Tests/Security/StatusHistoryPathTests.cs.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;

select plan(39);

-- Fixtures ------------------------------------------------------------------------------------
insert into auth.users (id, email) values
    ('00000000-0000-4000-f003-000000000001', 'history.mentor@test.example'),
    ('00000000-0000-4000-f003-000000000011', 'history.coordinator@test.example'),
    ('00000000-0000-4000-f003-000000000021', 'history.admin@test.example');
insert into public.organisations (id, name) values
    ('00000000-0000-4000-f001-000000000001', 'History organisation');
insert into public.chapters (id, organisation_id, name) values
    ('00000000-0000-4000-f002-000000000001', '00000000-0000-4000-f001-000000000001', 'History chapter');
insert into public.coordinator_assignments (user_id, chapter_id) values
    ('00000000-0000-4000-f003-000000000011', '00000000-0000-4000-f002-000000000001');

-- Mentors whose history breaks the rule: first record not initial_status with previous NULL, or newest
-- record not the current status, or no record at all.
create view pg_temp.broken_histories as
select m.id, m.display_name, m.status,
       (select h.reason from public.peer_mentor_status_history h where h.mentor_id = m.id order by h.changed_at, h.id limit 1) as first_reason,
       (select h.new_status from public.peer_mentor_status_history h where h.mentor_id = m.id order by h.changed_at desc, h.id desc limit 1) as newest_status
from public.peer_mentors m
where not exists (
          select 1 from (select h.reason, h.previous_status from public.peer_mentor_status_history h
                         where h.mentor_id = m.id order by h.changed_at, h.id limit 1) f
          where f.reason = 'initial_status' and f.previous_status is null)
   or (select h.new_status from public.peer_mentor_status_history h where h.mentor_id = m.id order by h.changed_at desc, h.id desc limit 1)
      is distinct from m.status;

-- Inserts: the owner ------------------------------------------------------------------------------
insert into public.peer_mentors (id, user_id, organisation_id, display_name, status) values
    ('00000000-0000-4000-f004-000000000001', '00000000-0000-4000-f003-000000000001', '00000000-0000-4000-f001-000000000001', 'Owner insert, active', 'active');
select results_eq(
    $$select previous_status, new_status, changed_by, reason, job_run_id
      from public.peer_mentor_status_history where mentor_id = '00000000-0000-4000-f004-000000000001'$$,
    $$values (null::public.mentor_status, 'active'::public.mentor_status, null::uuid, 'initial_status'::text, null::uuid)$$,
    'an owner insert writes the initial record: previous NULL, the status, changed_by NULL, initial_status');
select is((select changed_at from public.peer_mentor_status_history where mentor_id = '00000000-0000-4000-f004-000000000001'),
    (select created_at from public.peer_mentors where id = '00000000-0000-4000-f004-000000000001'),
    'the initial record is dated when the mentor was created');

insert into public.peer_mentors (id, organisation_id, display_name, status, created_at)
select ('00000000-0000-4000-f004-0000000001' || lpad(n::text, 2, '0'))::uuid, '00000000-0000-4000-f001-000000000001',
       'Owner bulk insert ' || n, (array['active', 'paused', 'inactive']::public.mentor_status[])[1 + n % 3],
       now() - make_interval(days => n)
from generate_series(1, 30) n;
select is((select count(*)::int from public.peer_mentor_status_history
           where mentor_id::text like '00000000-0000-4000-f004-0000000001%' and reason = 'initial_status'), 30,
    'an insert ... select of 30 mentors writes 30 initial records in the same statement');
select is((select count(*)::int from public.peer_mentor_status_history h join public.peer_mentors m on m.id = h.mentor_id
           where m.display_name like 'Owner bulk insert %' and (h.new_status <> m.status or h.changed_at <> m.created_at)), 0,
    'each with its own status (active, paused, inactive) and its own backdated creation time');

-- An owner acting with a user's claims (e.g. an admin tool): changed_by is that user
set local request.jwt.claims = '{"sub":"00000000-0000-4000-f003-000000000021","role":"authenticated"}';
insert into public.peer_mentors (id, organisation_id, display_name, status) values
    ('00000000-0000-4000-f004-000000000002', '00000000-0000-4000-f001-000000000001', 'Inserted with a user''s claims', 'paused');
select is((select changed_by from public.peer_mentor_status_history where mentor_id = '00000000-0000-4000-f004-000000000002'),
    '00000000-0000-4000-f003-000000000021'::uuid, 'an insert made with a user''s JWT records that user as changed_by');

-- ... and when that record cannot be written, the insert is refused with it
set local request.jwt.claims = '{"sub":"00000000-0000-4000-ffff-000000000404","role":"authenticated"}';
select throws_ok(
    $$insert into public.peer_mentors (id, organisation_id, display_name) values
          ('00000000-0000-4000-f004-000000000003', '00000000-0000-4000-f001-000000000001', 'Inserted by an unknown user')$$,
    '23503', null, 'an insert whose initial record cannot be written (changed_by not a user) is refused');
select is((select count(*)::int from public.peer_mentors where id = '00000000-0000-4000-f004-000000000003'), 0,
    'and no mentor row is left without its record');
reset request.jwt.claims;

-- insert ... on conflict and merge: new rows get their record, a status changed on conflict is refused
insert into public.peer_mentors (id, organisation_id, display_name, status) values
    ('00000000-0000-4000-f004-000000000004', '00000000-0000-4000-f001-000000000001', 'Upserted', 'inactive')
on conflict (id) do update set status = excluded.status;
select is((select new_status from public.peer_mentor_status_history where mentor_id = '00000000-0000-4000-f004-000000000004'),
    'inactive'::public.mentor_status, 'insert ... on conflict: a new row gets its initial record');
select throws_ok(
    $$insert into public.peer_mentors (id, organisation_id, display_name, status) values
          ('00000000-0000-4000-f004-000000000004', '00000000-0000-4000-f001-000000000001', 'Upserted', 'active')
      on conflict (id) do update set status = excluded.status$$,
    'MS101', null, 'insert ... on conflict do update of the status without a record is refused (MS101)');
merge into public.peer_mentors m
using (values ('00000000-0000-4000-f004-000000000005'::uuid)) v (id) on m.id = v.id
when not matched then insert (id, organisation_id, display_name, status) values (v.id, '00000000-0000-4000-f001-000000000001', 'Merged', 'paused');
select is((select new_status from public.peer_mentor_status_history where mentor_id = '00000000-0000-4000-f004-000000000005'),
    'paused'::public.mentor_status, 'merge ... when not matched then insert: the new row gets its initial record');
select throws_ok(
    $$merge into public.peer_mentors m
      using (values ('00000000-0000-4000-f004-000000000005'::uuid)) v (id) on m.id = v.id
      when matched then update set status = 'active'$$,
    'MS101', null, 'merge ... when matched then update of the status without a record is refused (MS101)');

-- Inserts: the API roles --------------------------------------------------------------------------
set local role service_role;
set local request.jwt.claims = '{"role":"service_role"}';
select lives_ok(
    $$insert into public.peer_mentors (id, organisation_id, display_name, status) values
          ('00000000-0000-4000-f004-000000000006', '00000000-0000-4000-f001-000000000001', 'Inserted by service_role', 'active')$$,
    'service_role inserts a mentor (it holds no INSERT on the history)');
reset role;
select results_eq(
    $$select previous_status, new_status, changed_by, reason
      from public.peer_mentor_status_history where mentor_id = '00000000-0000-4000-f004-000000000006'$$,
    $$values (null::public.mentor_status, 'active'::public.mentor_status, null::uuid, 'initial_status'::text)$$,
    'and its initial record is written all the same, changed_by NULL');

set local role authenticated;
set local request.jwt.claims = '{"sub":"00000000-0000-4000-f003-000000000011","role":"authenticated"}';
select throws_ok(
    $$insert into public.peer_mentors (id, organisation_id, display_name) values
          ('00000000-0000-4000-f004-000000000007', '00000000-0000-4000-f001-000000000001', 'Inserted by a coordinator')$$,
    '42501', null, 'a signed-in user cannot insert a mentor');
reset role;
set local role anon;
set local request.jwt.claims = '{"role":"anon"}';
select throws_ok(
    $$insert into public.peer_mentors (id, organisation_id, display_name) values
          ('00000000-0000-4000-f004-000000000008', '00000000-0000-4000-f001-000000000001', 'Inserted by anon')$$,
    '42501', null, 'anon cannot insert a mentor');
reset role;
reset request.jwt.claims;

-- Updates: the owner -------------------------------------------------------------------------------
insert into public.chapter_memberships (mentor_id, chapter_id) values
    ('00000000-0000-4000-f004-000000000001', '00000000-0000-4000-f002-000000000001');

select throws_ok(
    $$update public.peer_mentors set status = 'paused' where id = '00000000-0000-4000-f004-000000000001'$$,
    'MS101', 'status of peer mentor 00000000-0000-4000-f004-000000000001 changed from active to paused without a history record',
    'the owner cannot change a status without its history record (MS101)');
select throws_ok(
    $$update public.peer_mentors set status = 'inactive' where display_name like 'Owner bulk insert %' and status = 'active'$$,
    'MS101', null, 'nor of many mentors in one statement');
select is((select count(*)::int from public.peer_mentors where display_name like 'Owner bulk insert %' and status = 'inactive'), 10,
    'and the refused statement changed nobody (still 10 inactive of 30)');
select throws_ok(
    $$with recorded as (
          insert into public.peer_mentor_status_history (mentor_id, previous_status, new_status, reason)
          values ('00000000-0000-4000-f004-000000000001', 'active', 'paused', 'coordinator_manual_pause')
          returning mentor_id)
      update public.peer_mentors set status = 'inactive' where id in (select mentor_id from recorded)$$,
    'MS101', null, 'a record of another status does not count: paused recorded, inactive set -> refused');
select lives_ok(
    $$update public.peer_mentors set display_name = 'Owner insert, renamed', certification_expires_at = now() + interval '1 year'
      where id = '00000000-0000-4000-f004-000000000001'$$,
    'the owner still updates every other column freely');
select lives_ok(
    $$with recorded as (
          insert into public.peer_mentor_status_history (mentor_id, previous_status, new_status, reason, changed_at)
          values ('00000000-0000-4000-f004-000000000001', 'active', 'paused', 'coordinator_manual_pause', clock_timestamp())
          returning mentor_id, new_status, changed_at)
      update public.peer_mentors m set status = r.new_status, status_changed_at = r.changed_at
      from recorded r where m.id = r.mentor_id$$,
    'the owner changes a status with its record in the same statement');
insert into public.peer_mentor_status_history (mentor_id, previous_status, new_status, reason, changed_at)
values ('00000000-0000-4000-f004-000000000001', 'paused', 'active', 'coordinator_resume', clock_timestamp());
select lives_ok(
    $$update public.peer_mentors set status = 'active' where id = '00000000-0000-4000-f004-000000000001'$$,
    'or with its record written first, in the same transaction');

-- Updates: the API roles ---------------------------------------------------------------------------
set local role service_role;
set local request.jwt.claims = '{"role":"service_role"}';
select throws_ok(
    $$update public.peer_mentors set status = 'paused' where id = '00000000-0000-4000-f004-000000000001'$$,
    '42501', null, 'service_role cannot change a status directly (42501)');
reset role;
create function pg_temp.try(p_sql text) returns text language plpgsql as $$
declare v_rows bigint;
begin
    execute p_sql;
    get diagnostics v_rows = row_count;
    return 'rows ' || v_rows;
exception when others then
    return sqlstate;
end;
$$;
set local role authenticated;
set local request.jwt.claims = '{"sub":"00000000-0000-4000-f003-000000000011","role":"authenticated"}';
select ok(pg_temp.try($$update public.peer_mentors set status = 'paused' where id = '00000000-0000-4000-f004-000000000001'$$) in ('rows 0', '42501'),
    'a coordinator cannot change a status directly (no row, or 42501)');
reset role;
set local role anon;
set local request.jwt.claims = '{"role":"anon"}';
select ok(pg_temp.try($$update public.peer_mentors set status = 'paused' where id = '00000000-0000-4000-f004-000000000001'$$) in ('rows 0', '42501'),
    'anon cannot change a status directly (no row, or 42501)');
reset role;
reset request.jwt.claims;
select is((select status from public.peer_mentors where id = '00000000-0000-4000-f004-000000000001'), 'active'::public.mentor_status,
    'the mentor is still active');

-- The sanctioned paths: the rpc, the system path, the job ---------------------------------------------
set local role authenticated;
set local request.jwt.claims = '{"sub":"00000000-0000-4000-f003-000000000001","role":"authenticated"}';
select lives_ok(
    $$select public.change_mentor_status('00000000-0000-4000-f004-000000000001', 'paused', 'self_pause')$$,
    'the rpc: the mentor pauses themself');
reset role;
-- (the system path claims an expired certification only for one that has expired)
update public.peer_mentors set certification_expires_at = now() - interval '1 day' where id = '00000000-0000-4000-f004-000000000006';
set local role service_role;
set local request.jwt.claims = '{"role":"service_role"}';
select lives_ok(
    $$select mentor_status_private.record_system_status_change('00000000-0000-4000-f004-000000000006', 'paused', 'certification_expired', null)$$,
    'the system path pauses a mentor');
select throws_ok(
    $$select mentor_status_private.record_system_status_change('00000000-0000-4000-f004-000000000006', 'paused', 'initial_status', null)$$,
    'MS409', null, 'the system path writes no second initial record: the insert wrote it');
reset role;
update public.peer_mentors set certification_expires_at = now() - interval '1 day'
where display_name like 'Owner bulk insert %';
-- the job counts below are this fixture's: a seeded database's own expired mentors are left out of the run
update public.peer_mentors set certification_expires_at = null
where organisation_id <> '00000000-0000-4000-f001-000000000001' and certification_expires_at <= now();
insert into public.status_job_runs (id, job_name, as_of, batch_size)
values ('00000000-0000-4000-f006-000000000001', 'certification_expiry', now(), 4);
create function pg_temp.run_job() returns int[] language plpgsql as $$
declare v_batches int[] := '{}'; v_paused int;
begin
    loop
        select b.mentors_paused into v_paused
        from mentor_status_private.pause_expired_certifications('00000000-0000-4000-f006-000000000001', now(), 4) b;
        v_batches := v_batches || v_paused;
        exit when coalesce(v_paused, 0) = 0;
    end loop;
    return v_batches;
end;
$$;
select is(pg_temp.run_job(), array[4, 4, 2, 0],
    'the set-based expiry job pauses the 10 expired active mentors, 4 per statement');
select is((select count(*)::int from public.peer_mentor_status_history where job_run_id = '00000000-0000-4000-f006-000000000001'), 10,
    'with a record each');

-- Direct history rows of another mentor do not open the door ------------------------------------------
select throws_ok(
    $$with recorded as (
          -- changed_at after every earlier record of the mentor (now() is the transaction's start), so that mentor 4
          -- really has its record and only mentor 2 lacks one, whichever the trigger looks at first
          insert into public.peer_mentor_status_history (mentor_id, previous_status, new_status, reason, changed_at)
          values ('00000000-0000-4000-f004-000000000004', 'inactive', 'active', 'coordinator_reactivate', clock_timestamp())
          returning mentor_id)
      update public.peer_mentors set status = 'active' where id in ('00000000-0000-4000-f004-000000000004', '00000000-0000-4000-f004-000000000002')$$,
    'MS101', 'status of peer mentor 00000000-0000-4000-f004-000000000002 changed from paused to active without a history record',
    'one statement, two mentors, one record: refused, naming the mentor without one');

-- Soft delete and other columns never need a record; a hard delete takes the history along --------------
select lives_ok(
    $$update public.peer_mentors set deleted_at = now() where id = '00000000-0000-4000-f004-000000000005'$$,
    'a soft delete is not a status change');
select lives_ok(
    $$delete from public.peer_mentors where id = '00000000-0000-4000-f004-000000000004'$$,
    'a hard delete (right to erasure) still works');
select is((select count(*)::int from public.peer_mentor_status_history where mentor_id = '00000000-0000-4000-f004-000000000004'), 0,
    'and its history went with it (cascade)');

-- Afterwards: history == status, for every mentor -------------------------------------------------------
select is((select count(*)::int from public.peer_mentors where organisation_id = '00000000-0000-4000-f001-000000000001'), 34,
    'the mentors inserted above are all there (35, one hard-deleted)');
select is_empty($$select * from pg_temp.broken_histories$$,
    'every mentor''s first record is initial_status (previous NULL) and the newest record is its current status');
select is((select count(*)::int from public.peer_mentor_status_history where reason = 'initial_status'),
          (select count(*)::int from public.peer_mentors),
    'exactly one initial record per mentor');
select is((select count(*)::int from public.peer_mentor_status_history where reason = 'initial_status' and previous_status is not null), 0,
    'no initial record has a previous status');

select * from finish();
rollback;
