-- requires: 20261127110000
-- issue 13, item 3: two costs of the certification-expiry job that grew with the batch size.
--
-- 1. The MS101 check (20261127100100) was quadratic in the rows of one UPDATE. Its query ends in
--    `limit 1` (the first offending mentor is enough), and the transition tables carry no statistics,
--    so the planner trusted the LIMIT to stop early and joined new_mentors to old_mentors by a nested
--    loop with `n.id = o.id` as a mere filter: every statement that changed n statuses compared n²
--    pairs, and since a good statement has no offending row the LIMIT never stopped anything.
--    Measured (EXPLAIN ANALYZE, bench cluster at small size): a 2,000-mentor batch spent 943 ms in
--    the trigger (3,998,000 rows removed by the join filter), 10,000 mentors in one statement 12 s,
--    against ~35 ms for the whole run now. The plan could not simply be fixed by a better join order:
--    PL/pgSQL caches a query's plan for the session, planned with the transition tables' sizes of the
--    first call (a user's one-row change, on a pooled connection), so any nested loop chosen then would be
--    reused for a 10,000-row batch later. The old and new rows are now paired by a GROUP BY over their
--    union (hash or sort: never worse than n log n, whatever the estimates), and only the newest-history
--    probe per changed mentor (an index lookup each) remains under the LIMIT. The check itself is
--    unchanged: same rule, same SQLSTATE, message, detail and hint.
--
-- 2. notification_recipients probed peer_mentors (primary key) for EVERY mentor to find the ones
--    none of whose chapters has an active coordinator — normally none. It now takes the mentors
--    without a chapter coordinator first (an EXCEPT of two in-memory sets) and looks up only those:
--    20,008 buffer reads instead of ~52,000 for 10,000 mentors. Same rows out.

set lock_timeout = '5s';

create or replace function mentor_status_private.refuse_status_without_history()
returns trigger
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    v_mentor_id uuid;
    v_from public.mentor_status;
    v_to public.mentor_status;
    v_recorded public.mentor_status;
begin
    -- security definer: reads every history record whoever updates (row-level security aside).
    -- Old and new rows paired by grouping, not by a join: linear whatever the cached plan's estimates.
    with changed as (
        select s.id,
               max(s.status) filter (where not s.is_new) as from_status,
               max(s.status) filter (where s.is_new) as to_status
        from (
            select o.id, o.status, false as is_new from old_mentors o
            union all
            select n.id, n.status, true from new_mentors n
        ) s
        group by s.id
        having max(s.status) filter (where s.is_new) is distinct from max(s.status) filter (where not s.is_new)
    )
    select c.id, c.from_status, c.to_status, h.new_status
      into v_mentor_id, v_from, v_to, v_recorded
    from changed c
    left join lateral (
        select h.new_status
        from public.peer_mentor_status_history h
        where h.mentor_id = c.id
        order by h.changed_at desc
        limit 1
    ) h on true
    where h.new_status is distinct from c.to_status
    limit 1;

    if v_mentor_id is not null then
        raise exception 'status of peer mentor % changed from % to % without a history record', v_mentor_id, v_from, v_to
            using errcode = 'MS101',
                  detail = format('The mentor''s newest history record says %s.', coalesce(v_recorded::text, 'nothing (no record)')),
                  hint = 'Change a status through public.change_mentor_status (users) or '
                         'mentor_status_private.record_system_status_change (system); a bulk job appends the '
                         'history records in the same statement (a data-modifying CTE) or before the UPDATE.';
    end if;
    return null;
end;
$$;

create or replace function mentor_status_private.notification_recipients(p_mentor_ids uuid[])
returns table (coordinator_user_id uuid, mentor_id uuid, fell_back_to_organisation boolean)
language sql
stable
set search_path = ''
as $$
    with chapter_coordinators as (
        -- every active coordinator of every chapter of the mentor
        select distinct ca.user_id, cm.mentor_id
        from public.chapter_memberships cm
        join public.coordinator_assignments ca on ca.chapter_id = cm.chapter_id
        where cm.mentor_id = any (p_mentor_ids)
          and ca.revoked_at is null
    ),
    uncovered as (
        -- the mentors none of whose chapters has one (usually none): only they are read again below
        select u.id from unnest(p_mentor_ids) as u (id)
        except
        select cc.mentor_id from chapter_coordinators cc
    ),
    organisation_coordinators as (
        -- every active coordinator of the organisation
        select distinct ca.user_id, m.id as mentor_id
        from public.peer_mentors m
        join public.chapters c on c.organisation_id = m.organisation_id
        join public.coordinator_assignments ca on ca.chapter_id = c.id
        where m.id = any (array(select u.id from uncovered u))
          and ca.revoked_at is null
    )
    select user_id, mentor_id, false from chapter_coordinators
    union all
    select user_id, mentor_id, true from organisation_coordinators
$$;
