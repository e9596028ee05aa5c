-- requires: 20261207100200
-- Every table a signed-in user can query is read through one index for a user who sees nothing.
--
-- The policies of chapters, chapter_memberships and coordinator_assignments were an OR of two arrays
-- (`a = any (array(...)) or b = any (array(...))`). Both arms are InitPlans, but an OR has no single index
-- condition: the planner can only BitmapOr the two (unordered) or scan an index in order and filter every row.
-- With `order by id limit 10` (what PostgREST sends for ?order=id&limit=10) it chose the second: a stranger's
-- query on chapters read every chapter (measured: 2,005 of 2,005 rows removed by filter, 20,000 memberships
-- and 2,000 chapters loaded). Splitting into two permissive policies changes nothing (PostgreSQL ORs them into
-- the same qual; Supabase's lint multiple_permissive_policies warns of exactly that).
--
-- Each policy is now one conjunction whose first term is `column = any (array(select helper()))` over a
-- leading index column, which the planner always can use as the index condition (ordered or not); the rest of
-- the old rule stays as a filter on the few rows that index condition lets through:
--   chapters              id         = any (the chapters the user coordinates or is a member of)
--   chapter_memberships   mentor_id  = any (visible_mentor_ids()), then: own, or in a chapter they coordinate
--   coordinator_assignments chapter_id = any (assigned_chapter_ids(): every chapter the user has an assignment
--                         for, revoked too), then: their own row, or a chapter they actively coordinate
-- The rows each user sees are exactly those of before (supabase/tests/075_policies_bound_to_one_index.sql
-- compares both rules for every user and row of its fixture).

set lock_timeout = '5s';

create function mentor_status_private.assigned_chapter_ids()
returns setof uuid
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
begin
    return query
        select ca.chapter_id
        from public.coordinator_assignments ca
        where ca.user_id = auth.uid();
end;
$$;

comment on function mentor_status_private.assigned_chapter_ids() is
    'Every chapter the current user has a coordinator assignment for, revoked ones included (the user reads '
    'their own assignment rows). Used by the coordinator_assignments policy as its index condition.';

revoke all on function mentor_status_private.assigned_chapter_ids() from public, anon, authenticated, service_role;
grant execute on function mentor_status_private.assigned_chapter_ids() to authenticated;

-- lint: ignore MS006 because each of the three statements below locks only its own table for an instant (a catalog change, no scan), and they belong together
alter policy chapters_select_member_or_coordinated on public.chapters
    using (
        id = any (array(select mentor_status_private.coordinated_chapter_ids()
                        union all
                        select mentor_status_private.member_chapter_ids()))
    );

alter policy chapter_memberships_select_own_or_coordinated on public.chapter_memberships
    using (
        mentor_id = any (array(select mentor_status_private.visible_mentor_ids()))
        and (mentor_id = any (array(select mentor_status_private.own_mentor_ids()))
             or chapter_id = any (array(select mentor_status_private.coordinated_chapter_ids())))
    );

alter policy coordinator_assignments_select_own_or_co_coordinator on public.coordinator_assignments
    using (
        chapter_id = any (array(select mentor_status_private.assigned_chapter_ids()))
        and (user_id = (select auth.uid())
             or chapter_id = any (array(select mentor_status_private.coordinated_chapter_ids())))
    );
