-- requires: 20261127105200
-- requires: 20261127120000
-- requires: 20261127120010
-- issue 13, item 1: the timeline of ONE mentor costs the index read plus one point check, whatever the
-- number of mentors the caller coordinates.
--
-- Measured (BENCHMARKS.md, "Issue 13 item 1"): under the policy of 20261127105200 every read of the
-- history first builds the array of ALL mentors the caller may see (visible_mentor_ids(), an InitPlan),
-- then the btree walks that array element by element next to "mentor_id = $1". For a coordinator of one
-- chapter (200 mentors) the helper alone was 0.6–1 ms against a 0.04–0.15 ms index read; for a
-- coordinator of 50 chapters (10 200 mentors) 40–50 ms. No policy shape avoids it: a policy cannot see
-- the query's "mentor_id = $1", and a per-row check would let a stranger's "order by changed_at desc
-- limit 10" read the whole table again (issue 10, part 5).
--
-- So the timeline gets its own read path, the pattern this project already uses for the status change:
--   * mentor_status_private.mentor_timeline(...)       the policy's rule checked for ONE mentor (the
--     caller's own mentor row or a mentor of a chapter they actively coordinate, never a soft-deleted
--     one: a handful of index probes, the same for 1 or 50 chapters), then the keyset page read as the
--     owner (security definer, search_path pinned). A mentor the caller may not see has an empty
--     timeline, exactly like one that does not exist. Not the same cost to the buffer, unlike
--     change_mentor_status: an existing mentor the caller may not see costs the membership probe (and
--     its assignment probe) more than a missing id, a few buffers; ids are random UUIDs;
--   * public.mentor_timeline(...)                      the rpc for PostgREST clients: security invoker
--     over the private helper (Supabase's pattern, as public.change_mentor_status).
-- The table's own policy stays as it is (index-bound, an InitPlan): direct reads of the history through
-- PostgREST are still answered under RLS, with the cheaper helpers below.
--
-- The set helpers keep their names, signatures and results; they now read a coordinator's mentors
-- index-only from chapter_memberships (chapter_id, mentor_id) and anti-join the soft-deleted mentors
-- (partial index) instead of fetching every member's peer_mentors row.
--
-- Tests: tests/MentorStatus.Tests/Security/TimelinePointCheckTests.cs (the rpc gives every caller exactly
-- what the policy gives them, for every user and mentor of the RLS fixture, soft-deleted and revoked
-- included; cost independent of the chapters coordinated), supabase/tests/054_timeline_point_check.sql.

set lock_timeout = '5s';

-- The timeline read path -----------------------------------------------------------------------------

create function mentor_status_private.mentor_timeline(
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
    -- One statement. The EXISTS names no column of the history, so the planner runs it once, before the
    -- scan, as a one-time filter: a mentor the caller may not see (or that does not exist) reads no
    -- history row, only the check's few index probes.
    return query
        select h.*
        from public.peer_mentor_status_history h
        where h.mentor_id = p_mentor_id
          -- keyset: strictly below the cursor; "changed_at <=" bounds the index range
          and h.changed_at <= coalesce(p_before_changed_at, 'infinity'::pg_catalog.timestamptz)
          and (p_before_changed_at is null or (h.changed_at, h.id) < (p_before_changed_at, p_before_id))
          -- the rule of visible_mentor_ids() (and so of the history's policy) for this one mentor: the
          -- caller's own mentor row or a mentor of a chapter they actively coordinate, never soft-deleted
          and exists (
              select 1
              from public.peer_mentors m
              where m.id = p_mentor_id
                and m.deleted_at is null
                and v_uid is not null
                and (m.user_id = v_uid
                     or exists (
                         select 1
                         from public.chapter_memberships cm
                         join public.coordinator_assignments ca on ca.chapter_id = cm.chapter_id
                         where cm.mentor_id = m.id
                           and ca.user_id = v_uid
                           and ca.revoked_at is null)))
        order by h.changed_at desc, h.id desc
        limit p_limit;
end;
$$;

comment on function mentor_status_private.mentor_timeline(pg_catalog.uuid, pg_catalog.timestamptz, pg_catalog.uuid, pg_catalog.int4) is
    'One page of a mentor''s history, newest first, for the current user: the history policy''s rule checked for '
    'this one mentor (a few index probes, once), then the keyset read on the timeline index (mentor_id, changed_at '
    'desc). Empty for a mentor the caller may not see. Its cost does not grow with the number of mentors the caller '
    'coordinates, as the policy''s array does.';

revoke all on function mentor_status_private.mentor_timeline(pg_catalog.uuid, pg_catalog.timestamptz, pg_catalog.uuid, pg_catalog.int4)
    from public, anon, authenticated, service_role;
grant execute on function mentor_status_private.mentor_timeline(pg_catalog.uuid, pg_catalog.timestamptz, pg_catalog.uuid, pg_catalog.int4)
    to authenticated;

create function public.mentor_timeline(
    p_mentor_id uuid,
    p_before_changed_at timestamptz default null,
    p_before_id uuid default null,
    p_limit integer default 50)
returns setof public.peer_mentor_status_history
language plpgsql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $$
begin
    -- PL/pgSQL, not SQL: a SQL function with a SET clause is never inlined and is planned again on every
    -- call (measured: +23 µs a call against +6 µs for this wrapper)
    return query
        select * from mentor_status_private.mentor_timeline(p_mentor_id, p_before_changed_at, p_before_id, p_limit);
end;
$$;

comment on function public.mentor_timeline(uuid, timestamptz, uuid, integer) is
    'rpc: one page of a mentor''s status history, newest first (p_limit records, at most 1001; pass the last '
    'record''s changed_at and id as p_before_changed_at and p_before_id for the next page). Empty for a mentor the '
    'caller may not see. Same rows as reading peer_mentor_status_history under its policy, but the check is one '
    'point lookup instead of the array of every mentor the caller may see.';

revoke all on function public.mentor_timeline(uuid, timestamptz, uuid, integer) from public, anon, authenticated, service_role;
grant execute on function public.mentor_timeline(uuid, timestamptz, uuid, integer) to authenticated;

-- Cheaper set helpers (same names, signatures and results) ------------------------------------------

create or replace function mentor_status_private.coordinated_mentor_ids()
returns setof uuid
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    v_uid pg_catalog.uuid := auth.uid();
begin
    return query
        select distinct cm.mentor_id
        from public.coordinator_assignments ca
        join public.chapter_memberships cm on cm.chapter_id = ca.chapter_id
        where ca.user_id = v_uid
          and ca.revoked_at is null
          and not exists (
              select 1 from public.peer_mentors d
              where d.id = cm.mentor_id
                and d.deleted_at is not null);
end;
$$;

create or replace function mentor_status_private.visible_mentor_ids()
returns setof uuid
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    v_uid pg_catalog.uuid := auth.uid();
begin
    return query
        select m.id
        from public.peer_mentors m
        where m.user_id = v_uid
          and m.deleted_at is null
        union
        select cm.mentor_id
        from public.coordinator_assignments ca
        join public.chapter_memberships cm on cm.chapter_id = ca.chapter_id
        where ca.user_id = v_uid
          and ca.revoked_at is null
          and not exists (
              select 1 from public.peer_mentors d
              where d.id = cm.mentor_id
                and d.deleted_at is not null);
end;
$$;
