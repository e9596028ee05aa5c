-- requires: 20261127120020
-- issue 13, item 1 (round 4): the signed-in timeline's point check as its own statement, in a shape whose
-- plan is the same whether PL/pgSQL plans it for the call (custom) or once for all calls (generic).
--
-- Measured (BENCHMARKS.md, "Issue 13 item 1, round 4"), 10 M history rows, 1 000 chapters: from its sixth
-- call in a session PL/pgSQL runs the timeline statement of 20261127120020 with a GENERIC plan (p_mentor_id
-- and the caller's uid unknown). In that plan the correlated EXISTS (chapter_memberships ⋈
-- coordinator_assignments for m.id) under the OR became a HASHED SubPlan: the planner estimates 1
-- assignment for an unknown user (1 055 assignments, ~1 000 users), so hashing "every mentor of the
-- caller's chapters" looked cheaper than one probe. Each call then read every membership of every
-- chapter the caller coordinates and hashed it to test ONE mentor: 11 000 mentors (233 buffers, ~2 ms)
-- for a coordinator of 50 chapters, 220 for a coordinator of one (the bulk of the "fixed cost" of the
-- earlier rounds). The custom plans of the first five calls probe instead, which is what the smaller
-- tests saw.
--
-- The new body:
--   * the check is a statement of its own that names only parameters (p_mentor_id, v_uid): no
--     correlation, so no hashed alternative; the mentor's chapters (1-2 rows) come first and each is
--     probed in coordinator_assignments through a LATERAL ... LIMIT 1, which fixes the join order. Its
--     cost is the mentor's memberships and their chapters' coordinators, never the caller's assignments;
--   * the page read is then exactly the service's keyset read (index scan, incremental sort, limit),
--     and a caller who may not see the mentor (or a missing id) never starts it;
--   * both statements see the same snapshot (a STABLE function takes none of its own).
-- Same rule as before (and as visible_mentor_ids()): the caller's own mentor row, or a mentor of a chapter
-- they actively coordinate; never a soft-deleted mentor; nothing without a signed-in uid.
--
-- Tests: tests/MentorStatus.Tests/Security/TimelinePointCheckTests.cs (the plan of the 6th+ call: no hashed
-- SubPlan, buffers bounded and the same for 1 or 50 chapters, on a 1 000-chapter fixture),
-- supabase/tests/055_timeline_check_then_read.sql.

set lock_timeout = '5s';

create or replace function mentor_status_private.mentor_timeline(
    p_mentor_id pg_catalog.uuid,
    p_before_changed_at pg_catalog.timestamptz,
    p_before_id pg_catalog.uuid,
    p_limit pg_catalog.int4)
returns setof public.peer_mentor_status_history
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    v_uid pg_catalog.uuid := auth.uid();
begin
    if p_limit is null or p_limit < 1 or p_limit > 1001 then
        raise exception 'mentor_timeline: p_limit must be between 1 and 1001, not %', coalesce(p_limit::pg_catalog.text, 'NULL')
            using errcode = '22023', hint = 'Ask for at most 1000 records a page (the repository asks for one more to know whether another page exists).';
    end if;
    if (p_before_changed_at is null) <> (p_before_id is null) then
        raise exception 'mentor_timeline: p_before_changed_at and p_before_id go together (the keyset cursor), got only one'
            using errcode = '22023', hint = 'Pass both from the last record of the previous page, or neither for the first page.';
    end if;
    -- The history policy's rule (visible_mentor_ids()) for this one mentor. Only parameters appear in it,
    -- so its generic plan is its custom plan: InitPlans of point probes (see the header).
    if v_uid is null or not exists (
        select 1
        from public.peer_mentors m
        where m.id = p_mentor_id
          and m.deleted_at is null
          and (m.user_id = v_uid
               or exists (
                   select 1
                   from public.chapter_memberships cm
                   cross join lateral (
                       -- LIMIT keeps the subquery a parameterised probe per chapter of the mentor
                       select 1
                       from public.coordinator_assignments ca
                       where ca.user_id = v_uid
                         and ca.chapter_id = cm.chapter_id
                         and ca.revoked_at is null
                       limit 1) coordinated
                   where cm.mentor_id = p_mentor_id))) then
        return; -- an empty timeline, as for a mentor that does not exist
    end if;
    -- the service's keyset read (MentorStatusRepository.TimelineSql), so the same plan
    return query
        select h.*
        from public.peer_mentor_status_history h
        where h.mentor_id = p_mentor_id
          -- keyset: strictly below the cursor; "changed_at <=" bounds the index range
          and h.changed_at <= coalesce(p_before_changed_at, 'infinity'::pg_catalog.timestamptz)
          and (p_before_changed_at is null or (h.changed_at, h.id) < (p_before_changed_at, p_before_id))
        order by h.changed_at desc, h.id desc
        limit p_limit;
end;
$$;

comment on function mentor_status_private.mentor_timeline(pg_catalog.uuid, pg_catalog.timestamptz, pg_catalog.uuid, pg_catalog.int4) is
    'One page of a mentor''s history, newest first, for the current user: first the history policy''s rule checked '
    'for this one mentor (a statement of point probes whose plan does not depend on the caller: no hashed SubPlan in '
    'PL/pgSQL''s generic plan), then the keyset read on the timeline index (mentor_id, changed_at desc), the '
    'service''s statement. Empty for a mentor the caller may not see. Its cost does not grow with the number of '
    'chapters the caller coordinates.';
