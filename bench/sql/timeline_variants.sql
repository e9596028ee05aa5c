-- Scratch functions of issue 13 round 4 (BENCHMARKS.md): the shells and variants the per-part loop compares.
-- Install on a kept bench cluster only (psql as postgres), never in a migration.
-- V1: one statement; the check names only parameters (InitPlans), the mentor's chapters first
create or replace function mentor_status_private.tl_v1(p_mentor_id uuid, p_before_changed_at timestamptz, p_before_id uuid, p_limit int4)
returns setof public.peer_mentor_status_history language plpgsql stable security definer set search_path = pg_catalog, pg_temp as $$
declare v_uid pg_catalog.uuid := auth.uid();
begin
    if p_limit is null or p_limit < 1 or p_limit > 1001 then raise exception 'x'; end if;
    if (p_before_changed_at is null) <> (p_before_id is null) then raise exception 'y'; end if;
    return query
        select h.* from public.peer_mentor_status_history h
        where h.mentor_id = p_mentor_id
          and h.changed_at <= coalesce(p_before_changed_at, 'infinity'::pg_catalog.timestamptz)
          and (p_before_changed_at is null or (h.changed_at, h.id) < (p_before_changed_at, p_before_id))
          and exists (
              select 1 from public.peer_mentors m
              where m.id = p_mentor_id and m.deleted_at is null and v_uid is not null
                and (m.user_id = v_uid
                     or exists (
                         select 1 from public.chapter_memberships cm
                         cross join lateral (
                             select 1 from public.coordinator_assignments ca
                             where ca.user_id = v_uid and ca.chapter_id = cm.chapter_id and ca.revoked_at is null
                             limit 1) ca
                         where cm.mentor_id = p_mentor_id)))
        order by h.changed_at desc, h.id desc
        limit p_limit;
end $$;
-- V2: the check first as its own statement, then the page read (the service's statement)
create or replace function mentor_status_private.tl_v2(p_mentor_id uuid, p_before_changed_at timestamptz, p_before_id uuid, p_limit int4)
returns setof public.peer_mentor_status_history language plpgsql stable security definer set search_path = pg_catalog, pg_temp as $$
declare v_uid pg_catalog.uuid := auth.uid();
begin
    if p_limit is null or p_limit < 1 or p_limit > 1001 then raise exception 'x'; end if;
    if (p_before_changed_at is null) <> (p_before_id is null) then raise exception 'y'; end if;
    if v_uid is null or not exists (
              select 1 from public.peer_mentors m
              where m.id = p_mentor_id and m.deleted_at is null
                and (m.user_id = v_uid
                     or exists (
                         select 1 from public.chapter_memberships cm
                         cross join lateral (
                             select 1 from public.coordinator_assignments ca
                             where ca.user_id = v_uid and ca.chapter_id = cm.chapter_id and ca.revoked_at is null
                             limit 1) ca
                         where cm.mentor_id = p_mentor_id))) then
        return;
    end if;
    return query
        select h.* from public.peer_mentor_status_history h
        where h.mentor_id = p_mentor_id
          and h.changed_at <= coalesce(p_before_changed_at, 'infinity'::pg_catalog.timestamptz)
          and (p_before_changed_at is null or (h.changed_at, h.id) < (p_before_changed_at, p_before_id))
        order by h.changed_at desc, h.id desc
        limit p_limit;
end $$;
-- empty definer call with the SET clause, and the same without it
create or replace function mentor_status_private.tl_empty(p_mentor_id uuid, p_before_changed_at timestamptz, p_before_id uuid, p_limit int4)
returns setof public.peer_mentor_status_history language plpgsql stable security definer set search_path = pg_catalog, pg_temp as $$
begin return; end $$;
create or replace function mentor_status_private.tl_empty_noset(p_mentor_id uuid, p_before_changed_at timestamptz, p_before_id uuid, p_limit int4)
returns setof public.peer_mentor_status_history language plpgsql stable security definer as $$
begin return; end $$;
create or replace function mentor_status_private.tl_uid(p_mentor_id uuid, p_before_changed_at timestamptz, p_before_id uuid, p_limit int4)
returns setof public.peer_mentor_status_history language plpgsql stable security definer set search_path = pg_catalog, pg_temp as $$
declare v_uid pg_catalog.uuid := auth.uid();
begin return; end $$;
-- the page read alone inside the same kind of function (no check)
create or replace function mentor_status_private.tl_read(p_mentor_id uuid, p_before_changed_at timestamptz, p_before_id uuid, p_limit int4)
returns setof public.peer_mentor_status_history language plpgsql stable security definer set search_path = pg_catalog, pg_temp as $$
begin
    return query
        select h.* from public.peer_mentor_status_history h
        where h.mentor_id = p_mentor_id
          and h.changed_at <= coalesce(p_before_changed_at, 'infinity'::pg_catalog.timestamptz)
          and (p_before_changed_at is null or (h.changed_at, h.id) < (p_before_changed_at, p_before_id))
        order by h.changed_at desc, h.id desc
        limit p_limit;
end $$;
grant execute on all functions in schema mentor_status_private to authenticated;

-- main's body (20261127120020) under another name, to compare in one session: taken from the rollback of
-- 20261127130000, which restores exactly that body, renamed (run from the repository root)
\! sed 's/mentor_status_private\.mentor_timeline(/mentor_status_private.tl_old(/' supabase/rollbacks/20261127130000_issue13_timeline_check_then_read.sql > /tmp/mentorstatus-tl_old.sql
\i /tmp/mentorstatus-tl_old.sql
grant execute on function mentor_status_private.tl_old(uuid,timestamptz,uuid,int4) to authenticated;

-- the new check alone (no page read)
create or replace function mentor_status_private.tl_check(p_mentor_id uuid, p_before_changed_at timestamptz, p_before_id uuid, p_limit int4)
returns setof public.peer_mentor_status_history language plpgsql stable security definer set search_path = pg_catalog, pg_temp as $$
declare v_uid pg_catalog.uuid := auth.uid();
begin
    if v_uid is null or not exists (
        select 1 from public.peer_mentors m
        where m.id = p_mentor_id and m.deleted_at is null
          and (m.user_id = v_uid
               or exists (select 1 from public.chapter_memberships cm
                   cross join lateral (select 1 from public.coordinator_assignments ca
                       where ca.user_id = v_uid and ca.chapter_id = cm.chapter_id and ca.revoked_at is null limit 1) coordinated
                   where cm.mentor_id = p_mentor_id))) then
        return;
    end if;
    return;
end $$;
grant execute on all functions in schema mentor_status_private to authenticated;
