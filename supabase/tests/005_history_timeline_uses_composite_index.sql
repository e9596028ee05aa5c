-- Smoke test 5 (task-002): at a realistic volume (20,000 mentors x 5 changes = 100,000 records,
-- then ANALYZE), the timeline query of one mentor
--   select * from peer_mentor_status_history where mentor_id = $1 order by changed_at desc
-- is planned with the composite index (mentor_id, changed_at desc). No planner setting is
-- changed: the plan must be the planner's honest choice.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;

select plan(4);

-- Fixtures ------------------------------------------------------------------------------------
insert into public.organisations (id, name) values
    ('00000000-0000-4000-b001-000000000005', 'Load test organisation 005');

-- The insert writes each mentor's initial_status record (issue 10), dated at created_at.
insert into public.peer_mentors (id, organisation_id, display_name, created_at)
select ('00000000-0000-4000-b004-' || lpad(to_hex(n), 12, '0'))::uuid,
       '00000000-0000-4000-b001-000000000005',
       'Load mentor ' || n,
       now() - make_interval(days => 90, secs => n)
from generate_series(1, 20000) as n;

insert into public.peer_mentor_status_history (mentor_id, previous_status, new_status, changed_at, reason)
select ('00000000-0000-4000-b004-' || lpad(to_hex(n), 12, '0'))::uuid,
       case when k = 1 then null when k % 2 = 0 then 'active' else 'paused' end::public.mentor_status,
       case when k = 1 then 'active' when k % 2 = 0 then 'paused' else 'active' end::public.mentor_status,
       now() - make_interval(days => 100 - k * 10, secs => n),
       case when k = 1 then 'initial_status' when k % 2 = 0 then 'self_pause' else 'self_resume' end
from generate_series(1, 20000) as n
cross join generate_series(2, 5) as k;

analyze public.peer_mentors;
analyze public.peer_mentor_status_history;

prepare mentor_timeline(uuid) as
    select * from public.peer_mentor_status_history
    where mentor_id = $1
    order by changed_at desc;

-- The plan of a statement, one line per row.
create function pg_temp.plan_lines(statement text)
returns setof text
language plpgsql
as $$
begin
    return query execute 'explain ' || statement;
end;
$$;

-- Tests ---------------------------------------------------------------------------------------
select is(
    (select count(*)::int
     from public.peer_mentor_status_history h
     join public.peer_mentors m on m.id = h.mentor_id
     where m.organisation_id = '00000000-0000-4000-b001-000000000005'),
    100000,
    'the load is in place: 100,000 history records'
);

select ok(
    (select indisvalid from pg_index
     where indexrelid = 'public.peer_mentor_status_history_mentor_id_changed_at_idx'::regclass),
    'the composite index exists and is valid'
);

select ok(
    exists (
        select 1
        from pg_temp.plan_lines($$execute mentor_timeline('00000000-0000-4000-b004-000000002710')$$) as line
        where line ~ '(Index Scan|Index Only Scan) (Backward )?using peer_mentor_status_history_mentor_id_changed_at_idx'
           or line ~ 'Bitmap Index Scan on peer_mentor_status_history_mentor_id_changed_at_idx'
    ),
    'the timeline query with $1 (prepared statement) uses peer_mentor_status_history_mentor_id_changed_at_idx'
);

select ok(
    exists (
        select 1
        from pg_temp.plan_lines($$select * from public.peer_mentor_status_history
                                 where mentor_id = '00000000-0000-4000-b004-000000000001'
                                 order by changed_at desc$$) as line
        where line ~ '(Index Scan|Index Only Scan) (Backward )?using peer_mentor_status_history_mentor_id_changed_at_idx'
           or line ~ 'Bitmap Index Scan on peer_mentor_status_history_mentor_id_changed_at_idx'
    ),
    'the timeline query with a literal mentor id uses peer_mentor_status_history_mentor_id_changed_at_idx'
);

select * from finish();
rollback;
