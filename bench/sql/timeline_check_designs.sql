-- Issue 13 round 5 (BENCHMARKS.md "timeline, round 5"): scratch designs of the signed-in timeline whose server-side
-- cost bench/sql/timeline_per_transaction.sh compares with service_role's read and with mentor_timeline. Install on
-- a kept bench cluster only (psql as postgres), never in a migration. None of them is in the project: the best one
-- (one index-only probe, read through a view) measured 1.9× service_role at p50 against 2.7× for mentor_timeline,
-- still above the issue's 1.5×, at the price of an access table every membership, assignment and mentor write keeps.

-- An access table: one row per (mentor, user who may read the mentor's history), what the history policy's rule
-- computes (the mentor's own user; the active coordinators of the mentor's chapters; never a soft-deleted mentor).
-- Filled once from the data here; a real one would need triggers on peer_mentors, chapter_memberships and
-- coordinator_assignments, each with exactness tests.
create table if not exists mentor_status_private.tl_readers (mentor_id uuid not null, user_id uuid not null, primary key (mentor_id, user_id));
truncate mentor_status_private.tl_readers;
insert into mentor_status_private.tl_readers
select m.id, m.user_id from public.peer_mentors m where m.deleted_at is null and m.user_id is not null
union
select cm.mentor_id, ca.user_id
from public.chapter_memberships cm
join public.coordinator_assignments ca on ca.chapter_id = cm.chapter_id and ca.revoked_at is null
join public.peer_mentors m on m.id = cm.mentor_id and m.deleted_at is null;
vacuum analyze mentor_status_private.tl_readers;

-- mentor_timeline with the check as one index-only probe of the access table (rest unchanged)
create or replace function mentor_status_private.tl_fn_acc(p_mentor_id uuid, p_before_changed_at timestamptz, p_before_id uuid, p_limit int4)
returns setof public.peer_mentor_status_history language plpgsql stable security definer set search_path = pg_catalog, pg_temp as $$
declare v_uid pg_catalog.uuid := auth.uid();
begin
    if p_limit is null or p_limit < 1 or p_limit > 1001 then raise exception 'p_limit'; end if;
    if (p_before_changed_at is null) <> (p_before_id is null) then raise exception 'cursor'; end if;
    if not exists (select 1 from mentor_status_private.tl_readers r where r.mentor_id = p_mentor_id and r.user_id = v_uid) then
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
grant execute on function mentor_status_private.tl_fn_acc(uuid, timestamptz, uuid, int4) to authenticated;

-- No function at all: a security-barrier view owned by the table owner (so the history's RLS does not apply), whose
-- parameters are transaction-local settings (mentor_status.timeline_*), each read once as an InitPlan. The check is a
-- one-time filter (a gating Result): a caller who may not see the mentor starts no read. The page read is the
-- service's plan (index scan, incremental sort, limit). The ORDER BY and LIMIT are inside the view: a security
-- barrier view is not flattened, so an outer ORDER BY/LIMIT would sort every row of the mentor.
-- tl_view_gate: the policy rule's three-relation check (peer_mentors, chapter_memberships, coordinator_assignments).
create or replace view mentor_status_private.tl_view_gate with (security_barrier) as
select h.*
from public.peer_mentor_status_history h
where h.mentor_id = (select nullif(pg_catalog.current_setting('mentor_status.timeline_mentor_id', true), '')::pg_catalog.uuid)
  and (h.changed_at, h.id) < (coalesce((select nullif(pg_catalog.current_setting('mentor_status.timeline_before_changed_at', true), '')::pg_catalog.timestamptz), 'infinity'),
                              coalesce((select nullif(pg_catalog.current_setting('mentor_status.timeline_before_id', true), '')::pg_catalog.uuid), 'ffffffff-ffff-ffff-ffff-ffffffffffff'))
  and exists (
      select 1
      from public.peer_mentors m
      cross join (select auth.uid() as uid) u
      where m.id = (select nullif(pg_catalog.current_setting('mentor_status.timeline_mentor_id', true), '')::pg_catalog.uuid)
        and m.deleted_at is null
        and (m.user_id = u.uid
             or exists (
                 select 1
                 from public.chapter_memberships cm
                 cross join lateral (
                     select 1 from public.coordinator_assignments ca
                     where ca.user_id = u.uid and ca.chapter_id = cm.chapter_id and ca.revoked_at is null
                     limit 1) coordinated
                 where cm.mentor_id = m.id)))
order by h.changed_at desc, h.id desc
limit (select nullif(pg_catalog.current_setting('mentor_status.timeline_limit', true), '')::pg_catalog.int4);
-- tl_view_acc: the same view, the check one index-only probe of the access table
create or replace view mentor_status_private.tl_view_acc with (security_barrier) as
select h.*
from public.peer_mentor_status_history h
where h.mentor_id = (select nullif(pg_catalog.current_setting('mentor_status.timeline_mentor_id', true), '')::pg_catalog.uuid)
  and (h.changed_at, h.id) < (coalesce((select nullif(pg_catalog.current_setting('mentor_status.timeline_before_changed_at', true), '')::pg_catalog.timestamptz), 'infinity'),
                              coalesce((select nullif(pg_catalog.current_setting('mentor_status.timeline_before_id', true), '')::pg_catalog.uuid), 'ffffffff-ffff-ffff-ffff-ffffffffffff'))
  and exists (select 1 from mentor_status_private.tl_readers r
              where r.mentor_id = (select nullif(pg_catalog.current_setting('mentor_status.timeline_mentor_id', true), '')::pg_catalog.uuid)
                and r.user_id = (select auth.uid()))
order by h.changed_at desc, h.id desc
limit (select nullif(pg_catalog.current_setting('mentor_status.timeline_limit', true), '')::pg_catalog.int4);
-- tl_view_none: the same view without any check (what reading through a view and settings costs by itself)
create or replace view mentor_status_private.tl_view_none with (security_barrier) as
select h.*
from public.peer_mentor_status_history h
where h.mentor_id = (select nullif(pg_catalog.current_setting('mentor_status.timeline_mentor_id', true), '')::pg_catalog.uuid)
  and (h.changed_at, h.id) < (coalesce((select nullif(pg_catalog.current_setting('mentor_status.timeline_before_changed_at', true), '')::pg_catalog.timestamptz), 'infinity'),
                              coalesce((select nullif(pg_catalog.current_setting('mentor_status.timeline_before_id', true), '')::pg_catalog.uuid), 'ffffffff-ffff-ffff-ffff-ffffffffffff'))
order by h.changed_at desc, h.id desc
limit (select nullif(pg_catalog.current_setting('mentor_status.timeline_limit', true), '')::pg_catalog.int4);
grant select on mentor_status_private.tl_view_gate, mentor_status_private.tl_view_acc, mentor_status_private.tl_view_none to authenticated;
