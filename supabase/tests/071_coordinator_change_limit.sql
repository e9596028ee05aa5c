-- Coordinators' changes have a ceiling too: public.mentor_status_settings.coordinator_change_limit per
-- coordinator_change_window, whichever mentors; over it MS429 says when the next change is possible, and
-- allowed_status_changes offers no coordinator code. The count reads only the index entries inside the
-- window (changed_by, changed_at desc), however long the coordinator's history is.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;

select plan(7);

insert into auth.users (id) values ('00000000-0000-4000-d071-0000000000a1');  -- coordinator C
insert into public.organisations (id, name) values ('00000000-0000-4000-d071-0000000000b1', 'Limit org');
insert into public.chapters (id, organisation_id, name) values
    ('00000000-0000-4000-d071-0000000000c1', '00000000-0000-4000-d071-0000000000b1', 'X');
insert into public.peer_mentors (id, organisation_id, display_name)
select ('00000000-0000-4000-d071-0000000001' || lpad(n::text, 2, '0'))::uuid, '00000000-0000-4000-d071-0000000000b1', 'M' || n
from generate_series(1, 5) n;
insert into public.chapter_memberships (mentor_id, chapter_id)
select m.id, '00000000-0000-4000-d071-0000000000c1' from public.peer_mentors m
where m.organisation_id = '00000000-0000-4000-d071-0000000000b1';
insert into public.coordinator_assignments (user_id, chapter_id) values
    ('00000000-0000-4000-d071-0000000000a1', '00000000-0000-4000-d071-0000000000c1');
-- A long past: 3,000 older changes by C (two days ago), which the count must not read.
insert into public.peer_mentor_status_history (mentor_id, previous_status, new_status, changed_by, changed_at, reason)
select '00000000-0000-4000-d071-000000000105', 'active', 'active', '00000000-0000-4000-d071-0000000000a1',
       now() - interval '2 days' - n * interval '1 second', 'coordinator_resume'
from generate_series(1, 3000) n;
analyze public.peer_mentor_status_history;

update public.mentor_status_settings set coordinator_change_limit = 3, coordinator_change_window = interval '1 hour';

create function pg_temp.as_user(p_user uuid)
returns void language sql as $$
    select set_config('request.jwt.claims', jsonb_build_object('sub', p_user, 'role', 'authenticated')::text, true);
    select set_config('role', 'authenticated', true);
$$;

-- index entries and heap rows of the history read so far in this transaction
create function pg_temp.history_reads()
returns bigint language sql as $$
    select sum(pg_stat_get_xact_tuples_returned(c.oid) + pg_stat_get_xact_tuples_fetched(c.oid))::bigint
    from pg_class c
    where c.oid = 'public.peer_mentor_status_history'::regclass
       or c.oid in (select indexrelid from pg_index where indrelid = 'public.peer_mentor_status_history'::regclass)
$$;

select pg_temp.as_user('00000000-0000-4000-d071-0000000000a1');
select lives_ok($$select public.change_mentor_status('00000000-0000-4000-d071-000000000101', 'paused', 'coordinator_manual_pause')$$,
    'first change within the limit');
select lives_ok($$select public.change_mentor_status('00000000-0000-4000-d071-000000000102', 'paused', 'coordinator_manual_pause')$$,
    'second change within the limit');
select lives_ok($$select public.change_mentor_status('00000000-0000-4000-d071-000000000103', 'paused', 'coordinator_manual_pause')$$,
    'third change within the limit');
reset role;
create temp table reads_before as select pg_temp.history_reads() as n;
grant select on reads_before to authenticated;
select pg_temp.as_user('00000000-0000-4000-d071-0000000000a1');
select throws_like($$select public.change_mentor_status('00000000-0000-4000-d071-000000000104', 'paused', 'coordinator_manual_pause')$$,
    '%made 3 status changes in the last 1 hour; the limit for coordinators is 3; your next change is possible after %',
    'the fourth change within the hour is refused, saying when the next is possible');
reset role;
select cmp_ok(pg_temp.history_reads() - (select n from reads_before), '<', 100::bigint,
    'the refused call read fewer than 100 history rows and index entries, with 3,000 older changes by the coordinator');
select pg_temp.as_user('00000000-0000-4000-d071-0000000000a1');
select throws_ok($$select public.change_mentor_status('00000000-0000-4000-d071-000000000104', 'paused', 'coordinator_manual_pause')$$,
    'MS429', null, 'the refusal is MS429');
select is((select count(*)::int from public.allowed_status_changes('00000000-0000-4000-d071-000000000104')), 0,
    'allowed_status_changes offers no coordinator code over the limit');
reset role;

select * from finish();
rollback;
