-- Rollback of 20261127105200_issue10_index_bound_policies: the helpers' bodies and comments and the
-- policies as 20261101000400 wrote them (search_path stays pinned, as 20261127105000 left it).

set lock_timeout = '5s';

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
        where ca.user_id = auth.uid()
          and ca.revoked_at is null;
end;
$$;

comment on function mentor_status_private.coordinated_mentor_ids() is
    'Mentors who are members of at least one chapter the current user actively coordinates '
    '(whatever other chapters they are also in). Used by row-level security policies.';

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
        where m.user_id = auth.uid();
end;
$$;

comment on function mentor_status_private.own_mentor_ids() is
    'The peer_mentors row of the current user, if they are a mentor (user_id is unique: at most one). '
    'Used by row-level security policies.';

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
        union
        select cm.mentor_id
        from public.chapter_memberships cm
        join public.coordinator_assignments ca on ca.chapter_id = cm.chapter_id
        where ca.user_id = auth.uid()
          and ca.revoked_at is null;
end;
$$;

comment on function mentor_status_private.visible_mentor_ids() is
    'Mentors whose records the current user may read: their own mentor row plus every mentor of a '
    'chapter they actively coordinate. Used by row-level security policies.';

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
        where m.user_id = auth.uid();
end;
$$;

comment on function mentor_status_private.member_chapter_ids() is
    'Chapters the current user belongs to as a mentor. Used by row-level security policies.';

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
        union
        select c.organisation_id
        from public.chapters c
        join public.coordinator_assignments ca on ca.chapter_id = c.id
        where ca.user_id = auth.uid()
          and ca.revoked_at is null;
end;
$$;

comment on function mentor_status_private.visible_organisation_ids() is
    'Organisations of the current user''s own mentor row and of the chapters they actively coordinate. '
    'Used by row-level security policies.';

alter policy organisations_select_visible on public.organisations
    using (id in (select mentor_status_private.visible_organisation_ids()));

alter policy chapters_select_member_or_coordinated on public.chapters
    using (
        id in (select mentor_status_private.coordinated_chapter_ids())
        or id in (select mentor_status_private.member_chapter_ids())
    );

alter policy peer_mentors_select_self_or_coordinated on public.peer_mentors
    using (
        user_id = (select auth.uid())
        or id in (select mentor_status_private.coordinated_mentor_ids())
    );

alter policy chapter_memberships_select_own_or_coordinated on public.chapter_memberships
    using (
        mentor_id in (select mentor_status_private.own_mentor_ids())
        or chapter_id in (select mentor_status_private.coordinated_chapter_ids())
    );

alter policy coordinator_assignments_select_own_or_co_coordinator on public.coordinator_assignments
    using (
        user_id = (select auth.uid())
        or chapter_id in (select mentor_status_private.coordinated_chapter_ids())
    );

alter policy peer_mentor_status_history_select_visible on public.peer_mentor_status_history
    using (mentor_id in (select mentor_status_private.visible_mentor_ids()));
