-- peer_mentor_status_history is append-only, enforced by the database (task-002):
-- UPDATE, DELETE and TRUNCATE are refused with SQLSTATE MS100 even for the owner, the API roles
-- have no privilege for them (42501), free-text reasons are refused (23503), and still the
-- foreign keys' ON DELETE CASCADE and ON DELETE SET NULL work.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;
set local client_min_messages = warning;

select plan(17);

-- Fixtures ------------------------------------------------------------------------------------
insert into auth.users (id, email) values
    ('00000000-0000-4000-b003-000000000111', 'coordinator.011@test.example');
insert into public.organisations (id, name) values
    ('00000000-0000-4000-b001-000000000011', 'Test organisation 011');
insert into public.peer_mentors (id, organisation_id, display_name) values
    ('00000000-0000-4000-b004-000000000111', '00000000-0000-4000-b001-000000000011', 'Test mentor 011'),
    ('00000000-0000-4000-b004-000000000112', '00000000-0000-4000-b001-000000000011', 'Test mentor 011 (erased)');
insert into public.peer_mentor_status_history (id, mentor_id, previous_status, new_status, changed_by, reason) values
    ('00000000-0000-4000-b005-000000000111', '00000000-0000-4000-b004-000000000111', 'active', 'paused',
     '00000000-0000-4000-b003-000000000111', 'coordinator_manual_pause'),
    ('00000000-0000-4000-b005-000000000112', '00000000-0000-4000-b004-000000000112', null, 'active', null, 'initial_status');

-- A table whose trigger writes to the history table: an UPDATE/DELETE that comes from another
-- trigger (pg_trigger_depth() > 1) but is not a referential action must still be refused.
create temp table history_meddler (action text);
create function pg_temp.meddle_with_history()
returns trigger
language plpgsql
as $$
begin
    if new.action = 'update' then
        update public.peer_mentor_status_history set new_status = 'inactive'
        where id = '00000000-0000-4000-b005-000000000111';
    elsif new.action = 'null changed_by' then
        update public.peer_mentor_status_history set changed_by = null
        where id = '00000000-0000-4000-b005-000000000111';
    elsif new.action = 'delete' then
        delete from public.peer_mentor_status_history
        where id = '00000000-0000-4000-b005-000000000111';
    end if;
    return new;
end;
$$;
create trigger meddle after insert on history_meddler
    for each row execute function pg_temp.meddle_with_history();

-- Refused for the owner (SQLSTATE MS100) --------------------------------------------------------
select throws_ok(
    $$update public.peer_mentor_status_history set new_status = 'inactive' where id = '00000000-0000-4000-b005-000000000111'$$,
    'MS100', null, 'a direct UPDATE is refused, even for the table owner');
select throws_ok(
    $$update public.peer_mentor_status_history set changed_by = null where id = '00000000-0000-4000-b005-000000000111'$$,
    'MS100', null, 'a direct UPDATE of changed_by to NULL is refused (only the foreign key may do it)');
select throws_ok(
    $$update public.peer_mentor_status_history set reason = reason$$,
    'MS100', null, 'even a no-op UPDATE is refused');
select throws_ok(
    $$delete from public.peer_mentor_status_history where id = '00000000-0000-4000-b005-000000000111'$$,
    'MS100', null, 'a direct DELETE is refused, even for the table owner');
select throws_ok(
    $$truncate public.peer_mentor_status_history$$,
    'MS100', null, 'TRUNCATE is refused');
select throws_ok(
    $$truncate public.peer_mentors cascade$$,
    'MS100', null, 'TRUNCATE ... CASCADE from peer_mentors is refused too');
select throws_ok(
    $$insert into history_meddler values ('update')$$,
    'MS100', null, 'an UPDATE issued from another trigger is refused');
select throws_ok(
    $$insert into history_meddler values ('null changed_by')$$,
    'MS100', null, 'setting changed_by to NULL from another trigger (user still exists) is refused');
select throws_ok(
    $$insert into history_meddler values ('delete')$$,
    'MS100', null, 'a DELETE issued from another trigger (mentor still exists) is refused');

-- Free text is refused ------------------------------------------------------------------------
select throws_ok(
    $$insert into public.peer_mentor_status_history (mentor_id, new_status, reason)
      values ('00000000-0000-4000-b004-000000000111', 'paused', 'mentor told me about a hospital stay')$$,
    '23503', null, 'a free-text reason is refused by the foreign key to mentor_status_reason_codes');

-- No privilege for service_role (the API roles: see 010 and 020) --------------------------------
set local role service_role;
select throws_ok(
    $$update public.peer_mentor_status_history set reason = reason$$,
    '42501', null, 'service_role has no UPDATE privilege');
select throws_ok(
    $$delete from public.peer_mentor_status_history$$,
    '42501', null, 'service_role has no DELETE privilege');
select throws_ok(
    $$truncate public.peer_mentor_status_history$$,
    '42501', null, 'service_role has no TRUNCATE privilege');
reset role;

-- The foreign keys' own actions still work ------------------------------------------------------
select lives_ok(
    $$delete from auth.users where id = '00000000-0000-4000-b003-000000000111'$$,
    'deleting the auth user who made a change works (ON DELETE SET NULL passes the trigger)');
select is(
    (select changed_by from public.peer_mentor_status_history where id = '00000000-0000-4000-b005-000000000111'),
    null, 'and the record''s changed_by is now NULL');
select lives_ok(
    $$delete from public.peer_mentors where id = '00000000-0000-4000-b004-000000000112'$$,
    'hard-deleting a mentor works (ON DELETE CASCADE passes the trigger)');
select is(
    (select count(*)::int from public.peer_mentor_status_history where mentor_id = '00000000-0000-4000-b004-000000000112'),
    0, 'and the mentor''s history is gone');

select * from finish();
rollback;
