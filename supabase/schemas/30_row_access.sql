-- Row access helpers
--
-- What the current user (auth.uid()) may see, as security definer functions in mentor_status_private (not exposed):
-- the row-level security policies call them once per statement as InitPlans, so each policy is one index condition.
-- All pin search_path = pg_catalog, pg_temp or qualify every name; soft-deleted mentors are never visible.
--
-- Part of the declarative schema: supabase/schemas/*.sql, applied in file-name order on top of the platform layer,
-- describe the database as the migrations leave it. Change the schema here, then `mentorstatus db diff -f NAME`
-- writes the migration and its rollback; CI fails when these files and the migrations disagree.

create or replace function mentor_status_private.coordinated_chapter_ids()
    returns setof uuid
    language plpgsql
    stable security definer
    set search_path to 'pg_catalog', 'pg_temp'
as $function$
begin
    return query
        select ca.chapter_id
        from public.coordinator_assignments ca
        where ca.user_id = auth.uid()
          and ca.revoked_at is null;
end;
$function$;
comment on function mentor_status_private.coordinated_chapter_ids() is
    'Chapters the current user (auth.uid()) actively coordinates. Empty for anyone else. Used by '
    'row-level security policies as "chapter_id in (select ...)".';

create or replace function mentor_status_private.member_chapter_ids()
    returns setof uuid
    language plpgsql
    stable security definer
    set search_path to 'pg_catalog', 'pg_temp'
as $function$
begin
    return query
        select cm.chapter_id
        from public.chapter_memberships cm
        join public.peer_mentors m on m.id = cm.mentor_id
        where m.user_id = auth.uid()
          and m.deleted_at is null;
end;
$function$;
comment on function mentor_status_private.member_chapter_ids() is
    'Chapters the current user belongs to as a mentor (not soft-deleted). Used by row-level security '
    'policies.';

create or replace function mentor_status_private.assigned_chapter_ids()
    returns setof uuid
    language plpgsql
    stable security definer
    set search_path to 'pg_catalog', 'pg_temp'
as $function$
begin
    return query
        select ca.chapter_id
        from public.coordinator_assignments ca
        where ca.user_id = auth.uid();
end;
$function$;
comment on function mentor_status_private.assigned_chapter_ids() is
    'Every chapter the current user has a coordinator assignment for, revoked ones included (the user '
    'reads their own assignment rows). Used by the coordinator_assignments policy as its index condition.';

create or replace function mentor_status_private.own_mentor_ids()
    returns setof uuid
    language plpgsql
    stable security definer
    set search_path to 'pg_catalog', 'pg_temp'
as $function$
begin
    return query
        select m.id
        from public.peer_mentors m
        where m.user_id = auth.uid()
          and m.deleted_at is null;
end;
$function$;
comment on function mentor_status_private.own_mentor_ids() is
    'The peer_mentors row of the current user, if they are a mentor and the row is not soft-deleted '
    '(user_id is unique: at most one). Used by row-level security policies.';

create or replace function mentor_status_private.coordinated_mentor_ids()
    returns setof uuid
    language plpgsql
    stable security definer
    set search_path to 'pg_catalog', 'pg_temp'
as $function$
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
$function$;
comment on function mentor_status_private.coordinated_mentor_ids() is
    'Mentors, not soft-deleted, who are members of at least one chapter the current user actively '
    'coordinates (whatever other chapters they are also in). Used by row-level security policies as '
    '"mentor_id = any (array(select ...))".';

create or replace function mentor_status_private.visible_mentor_ids()
    returns setof uuid
    language plpgsql
    stable security definer
    set search_path to 'pg_catalog', 'pg_temp'
as $function$
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
$function$;
comment on function mentor_status_private.visible_mentor_ids() is
    'Mentors whose records the current user may read: their own mentor row plus every mentor of a '
    'chapter they actively coordinate, soft-deleted mentors excluded. Used by row-level security '
    'policies as "mentor_id = any (array(select ...))": an InitPlan, computed once per query.';

create or replace function mentor_status_private.visible_organisation_ids()
    returns setof uuid
    language plpgsql
    stable security definer
    set search_path to 'pg_catalog', 'pg_temp'
as $function$
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
$function$;
comment on function mentor_status_private.visible_organisation_ids() is
    'Organisations of the current user''s own (not soft-deleted) mentor row and of the chapters they '
    'actively coordinate. Used by row-level security policies.';

create or replace function mentor_status_private.is_coordinator_of_mentor(p_mentor_id uuid)
    returns boolean
    language sql
    stable security definer
    set search_path to 'pg_catalog', 'pg_temp'
as $function$
    select exists (
        select 1
        from public.chapter_memberships cm
        join public.coordinator_assignments ca on ca.chapter_id = cm.chapter_id
        join public.peer_mentors m on m.id = cm.mentor_id
        where cm.mentor_id = p_mentor_id
          and ca.user_id = auth.uid()
          and ca.revoked_at is null
          and m.deleted_at is null
    )
$function$;
comment on function mentor_status_private.is_coordinator_of_mentor(uuid) is
    'True when the current user actively coordinates at least one chapter the mentor belongs to and the '
    'mentor is not soft-deleted (a deleted mentor answers like a missing one). Per-row check: in '
    'policies prefer "mentor_id = any (array(select coordinated_mentor_ids()))".';
