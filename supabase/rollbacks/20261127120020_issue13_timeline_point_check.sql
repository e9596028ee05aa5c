-- Rollback of 20261127120020_issue13_timeline_point_check: drops the timeline read path and puts the set
-- helpers' bodies back as 20261127105200 wrote them (their comments were not changed).

set lock_timeout = '5s';

drop function public.mentor_timeline(uuid, timestamptz, uuid, integer);
drop function mentor_status_private.mentor_timeline(pg_catalog.uuid, pg_catalog.timestamptz, pg_catalog.uuid, pg_catalog.int4);

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
