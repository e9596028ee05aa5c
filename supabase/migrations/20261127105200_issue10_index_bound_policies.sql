-- requires: 20261127105100
-- issue 10, part 5 (and issue 13, item 1): a user who sees nothing costs nothing; and who still
-- sees a soft-deleted mentor.
--
-- Policy shape. The policies of 20261101000400 read `mentor_id in (select helper())` and, on some
-- tables, `a in (select ...) or b in (select ...)`. The planner turns such a qual into a hashed
-- SubPlan evaluated per row, so a stranger's `order by changed_at desc limit 10` on the history read
-- the whole table to return nothing. Every membership check now reads
--     column = any (array(select mentor_status_private.helper()))
-- The array is an InitPlan: computed once per query, before the scan, and `column = any($1)` is an
-- index condition, so the scan reads only the index entries of the mentors (chapters, organisations)
-- the caller may see: none for a stranger, their own for a mentor, their chapters' for a coordinator.
-- tests/MentorStatus.Tests/Security/PolicyCostTests.cs counts the rows and buffers EXPLAIN (ANALYZE)
-- reports over 200 k history rows; supabase/tests/053_policy_shapes.sql checks the shapes.
--
-- Soft delete (peer_mentors.deleted_at is not null) — who still sees a deleted mentor:
--   * the mentor themself: no. Deleting the mentor record ends their role in the app; their login
--     (auth.users) may live on for other purposes and must not keep reading the record;
--   * coordinators: no. A deleted mentor is gone from every chapter view, history included;
--   * service_role (the trusted backend, bypasses RLS) and the table owner: yes, everything, for
--     support, audit and a GDPR export before a hard delete;
--   * change_mentor_status already answers MS404 for a deleted mentor; the job skips them.
-- Enforced in the helpers below (the policies build on them), so every table that hangs off a
-- mentor (history, memberships) hides a deleted mentor's rows too; peer_mentors' own policy also
-- checks deleted_at directly. Chapters and organisations stay visible through other paths only.

set lock_timeout = '5s';

-- Helpers: same names and signatures, soft-deleted mentors left out, search_path pinned ------------

create or replace function mentor_status_private.coordinated_mentor_ids()
returns setof uuid
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
begin
    return query
        select distinct cm.mentor_id
        from public.chapter_memberships cm
        join public.coordinator_assignments ca on ca.chapter_id = cm.chapter_id
        join public.peer_mentors m on m.id = cm.mentor_id
        where ca.user_id = auth.uid()
          and ca.revoked_at is null
          and m.deleted_at is null;
end;
$$;

comment on function mentor_status_private.coordinated_mentor_ids() is
    'Mentors, not soft-deleted, who are members of at least one chapter the current user actively '
    'coordinates (whatever other chapters they are also in). Used by row-level security policies as '
    '"mentor_id = any (array(select ...))".';

create or replace function mentor_status_private.own_mentor_ids()
returns setof uuid
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
begin
    return query
        select m.id
        from public.peer_mentors m
        where m.user_id = auth.uid()
          and m.deleted_at is null;
end;
$$;

comment on function mentor_status_private.own_mentor_ids() is
    'The peer_mentors row of the current user, if they are a mentor and the row is not soft-deleted '
    '(user_id is unique: at most one). Used by row-level security policies.';

create or replace function mentor_status_private.visible_mentor_ids()
returns setof uuid
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
begin
    return query
        select m.id
        from public.peer_mentors m
        where m.user_id = auth.uid()
          and m.deleted_at is null
        union
        select cm.mentor_id
        from public.chapter_memberships cm
        join public.coordinator_assignments ca on ca.chapter_id = cm.chapter_id
        join public.peer_mentors m on m.id = cm.mentor_id
        where ca.user_id = auth.uid()
          and ca.revoked_at is null
          and m.deleted_at is null;
end;
$$;

comment on function mentor_status_private.visible_mentor_ids() is
    'Mentors whose records the current user may read: their own mentor row plus every mentor of a '
    'chapter they actively coordinate, soft-deleted mentors excluded. Used by row-level security '
    'policies as "mentor_id = any (array(select ...))": an InitPlan, computed once per query.';

create or replace function mentor_status_private.member_chapter_ids()
returns setof uuid
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
begin
    return query
        select cm.chapter_id
        from public.chapter_memberships cm
        join public.peer_mentors m on m.id = cm.mentor_id
        where m.user_id = auth.uid()
          and m.deleted_at is null;
end;
$$;

comment on function mentor_status_private.member_chapter_ids() is
    'Chapters the current user belongs to as a mentor (not soft-deleted). Used by row-level security policies.';

create or replace function mentor_status_private.visible_organisation_ids()
returns setof uuid
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
begin
    return query
        select m.organisation_id
        from public.peer_mentors m
        where m.user_id = auth.uid()
          and m.deleted_at is null
        union
        select c.organisation_id
        from public.chapters c
        join public.coordinator_assignments ca on ca.chapter_id = c.id
        where ca.user_id = auth.uid()
          and ca.revoked_at is null;
end;
$$;

comment on function mentor_status_private.visible_organisation_ids() is
    'Organisations of the current user''s own (not soft-deleted) mentor row and of the chapters they '
    'actively coordinate. Used by row-level security policies.';

-- Policies: one InitPlan per helper, an index condition on the filtered column ----------------------

-- lint: ignore MS006 because each of the six statements below locks only its own table for an instant (a catalog change, no scan), and they belong together: a half-converted set would mix the two policy shapes
alter policy organisations_select_visible on public.organisations
    using (id = any (array(select mentor_status_private.visible_organisation_ids())));

alter policy chapters_select_member_or_coordinated on public.chapters
    using (
        id = any (array(select mentor_status_private.coordinated_chapter_ids()))
        or id = any (array(select mentor_status_private.member_chapter_ids()))
    );

alter policy peer_mentors_select_self_or_coordinated on public.peer_mentors
    using (
        deleted_at is null
        and id = any (array(select mentor_status_private.visible_mentor_ids()))
    );

alter policy chapter_memberships_select_own_or_coordinated on public.chapter_memberships
    using (
        mentor_id = any (array(select mentor_status_private.own_mentor_ids()))
        or (chapter_id = any (array(select mentor_status_private.coordinated_chapter_ids()))
            and mentor_id = any (array(select mentor_status_private.coordinated_mentor_ids())))
    );

alter policy coordinator_assignments_select_own_or_co_coordinator on public.coordinator_assignments
    using (
        user_id = (select auth.uid())
        or chapter_id = any (array(select mentor_status_private.coordinated_chapter_ids()))
    );

alter policy peer_mentor_status_history_select_visible on public.peer_mentor_status_history
    using (mentor_id = any (array(select mentor_status_private.visible_mentor_ids())));
