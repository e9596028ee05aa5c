-- Every table a signed-in user can query is read through one index condition, whatever order they ask for: a
-- user who sees nothing reads no row of chapters, chapter_memberships or coordinator_assignments, also with
-- `order by <key> limit 10` (before: chapters read every row through its primary key and filtered each, the
-- plan an OR of two arrays leaves). Measured with EXPLAIN (ANALYZE) over 20,000 memberships, 2,000 chapters and
-- 2,000 assignments. And the policies let every user see exactly the rows the previous rule let them see.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;

select plan(10);

insert into public.organisations (id, name) values ('00000000-0000-4000-d075-0000000000b1', 'Policy org');
insert into public.chapters (id, organisation_id, name)
select ('00000000-0000-4000-d075-1' || lpad(g::text, 11, '0'))::uuid, '00000000-0000-4000-d075-0000000000b1', 'c' || g
from generate_series(1, 2000) g;
insert into auth.users (id)
select ('00000000-0000-4000-d075-2' || lpad(g::text, 11, '0'))::uuid from generate_series(1, 2004) g;
-- users: 1..2000 coordinate chapter g; 2001 a stranger; 2002 a mentor; 2003 coordinates 1-3 and had 4 (revoked);
-- 2004 a mentor who also coordinates chapter 7
insert into public.peer_mentors (id, user_id, organisation_id, display_name, deleted_at)
select ('00000000-0000-4000-d075-3' || lpad(g::text, 11, '0'))::uuid,
       case g when 1 then '00000000-0000-4000-d075-200000002002'::uuid when 2 then '00000000-0000-4000-d075-200000002004'::uuid end,
       '00000000-0000-4000-d075-0000000000b1', 'm' || g,
       case when g = 3 then now() end  -- soft-deleted, in chapter 4
from generate_series(1, 20000) g;
insert into public.chapter_memberships (mentor_id, chapter_id)
select ('00000000-0000-4000-d075-3' || lpad(g::text, 11, '0'))::uuid, ('00000000-0000-4000-d075-1' || lpad((1 + g % 2000)::text, 11, '0'))::uuid
from generate_series(1, 20000) g
union all
select '00000000-0000-4000-d075-300000000001', '00000000-0000-4000-d075-100000000005';  -- the mentor is in chapters 2 and 5
insert into public.coordinator_assignments (user_id, chapter_id)
select ('00000000-0000-4000-d075-2' || lpad(g::text, 11, '0'))::uuid, ('00000000-0000-4000-d075-1' || lpad(g::text, 11, '0'))::uuid
from generate_series(1, 2000) g;
insert into public.coordinator_assignments (user_id, chapter_id, revoked_at) values
    ('00000000-0000-4000-d075-200000002003', '00000000-0000-4000-d075-100000000001', null),
    ('00000000-0000-4000-d075-200000002003', '00000000-0000-4000-d075-100000000002', null),
    ('00000000-0000-4000-d075-200000002003', '00000000-0000-4000-d075-100000000003', null),
    ('00000000-0000-4000-d075-200000002003', '00000000-0000-4000-d075-100000000004', now()),
    ('00000000-0000-4000-d075-200000002004', '00000000-0000-4000-d075-100000000007', null);
analyze public.chapters, public.chapter_memberships, public.coordinator_assignments, public.peer_mentors;

-- Rows of a table a user's plan read and threw away, and whether it scanned the whole heap.
create function pg_temp.cost(p_user uuid, p_query text, p_table text)
returns text
language plpgsql
as $$
declare
    v_plan jsonb;
    v_removed bigint;
    v_seq boolean;
begin
    perform set_config('request.jwt.claims', jsonb_build_object('sub', p_user, 'role', 'authenticated')::text, true);
    perform set_config('role', 'authenticated', true);
    execute 'explain (analyze, costs off, timing off, summary off, format json) ' || p_query into v_plan;
    reset role;
    select coalesce(sum(n::text::bigint), 0) into v_removed
    from jsonb_path_query(v_plan, 'strict $.**."Rows Removed by Filter"') n;
    v_seq := jsonb_path_exists(v_plan, '$.** ? (@."Node Type" == "Seq Scan" && @."Relation Name" == $t)', jsonb_build_object('t', p_table));
    return format('removed %s, seq scan %s', v_removed, v_seq);
end;
$$;

select is(pg_temp.cost('00000000-0000-4000-d075-200000002001', 'select * from public.chapters order by id limit 10', 'chapters'),
    'removed 0, seq scan f', 'a stranger''s "order by id limit 10" on chapters reads no chapter');
select is(pg_temp.cost('00000000-0000-4000-d075-200000002001', 'select * from public.chapters', 'chapters'),
    'removed 0, seq scan f', 'nor does "select *" on chapters');
select is(pg_temp.cost('00000000-0000-4000-d075-200000002001', 'select * from public.chapter_memberships order by mentor_id limit 10', 'chapter_memberships'),
    'removed 0, seq scan f', 'a stranger''s "order by mentor_id limit 10" on chapter_memberships reads no membership');
select is(pg_temp.cost('00000000-0000-4000-d075-200000002001', 'select * from public.chapter_memberships order by chapter_id limit 10', 'chapter_memberships'),
    'removed 0, seq scan f', 'nor "order by chapter_id limit 10"');
select is(pg_temp.cost('00000000-0000-4000-d075-200000002001', 'select * from public.coordinator_assignments order by chapter_id limit 10', 'coordinator_assignments'),
    'removed 0, seq scan f', 'a stranger''s "order by chapter_id limit 10" on coordinator_assignments reads no assignment');
select is(pg_temp.cost('00000000-0000-4000-d075-200000002001', 'select * from public.coordinator_assignments order by user_id limit 10', 'coordinator_assignments'),
    'removed 0, seq scan f', 'nor "order by user_id limit 10"');

-- The same rows as the previous rule (20261127105200), for the stranger, the mentor, the coordinator with a
-- revoked assignment, the mentor who coordinates, and a plain chapter coordinator.
create temp table users_to_check (user_id uuid);
insert into users_to_check values ('00000000-0000-4000-d075-200000002001'), ('00000000-0000-4000-d075-200000002002'),
    ('00000000-0000-4000-d075-200000002003'), ('00000000-0000-4000-d075-200000002004'), ('00000000-0000-4000-d075-200000000004');

create function pg_temp.differences(p_table text, p_key text, p_old_rule text)
returns text
language plpgsql
as $$
declare
    u uuid;
    v_policy text[];
    v_rule text[];
    v_out text := '';
begin
    for u in select user_id from users_to_check loop
        perform set_config('request.jwt.claims', jsonb_build_object('sub', u, 'role', 'authenticated')::text, true);
        -- the previous rule, evaluated as the owner (past row-level security) with the user's claims
        execute format('select coalesce(array_agg(%s order by %s), ''{}'') from %s where %s', p_key, p_key, p_table, p_old_rule) into v_rule;
        perform set_config('role', 'authenticated', true);
        execute format('select coalesce(array_agg(%s order by %s), ''{}'') from %s', p_key, p_key, p_table) into v_policy;
        reset role;
        if v_policy is distinct from v_rule then
            v_out := v_out || format('%s: policy %s rows, rule %s rows; ', u, cardinality(v_policy), cardinality(v_rule));
        end if;
    end loop;
    return v_out;
end;
$$;

select is(pg_temp.differences('public.chapters', 'id::text',
    $r$id = any (array(select mentor_status_private.coordinated_chapter_ids())) or id = any (array(select mentor_status_private.member_chapter_ids()))$r$),
    '', 'chapters: every user sees the rows of the previous rule');
select is(pg_temp.differences('public.chapter_memberships', 'mentor_id::text || chapter_id::text',
    $r$mentor_id = any (array(select mentor_status_private.own_mentor_ids()))
       or (chapter_id = any (array(select mentor_status_private.coordinated_chapter_ids()))
           and mentor_id = any (array(select mentor_status_private.coordinated_mentor_ids())))$r$),
    '', 'chapter_memberships: every user sees the rows of the previous rule');
select is(pg_temp.differences('public.coordinator_assignments', 'user_id::text || chapter_id::text',
    $r$user_id = (select auth.uid()) or chapter_id = any (array(select mentor_status_private.coordinated_chapter_ids()))$r$),
    '', 'coordinator_assignments: every user sees the rows of the previous rule');
select is(
    (select count(*)::int from pg_policies where schemaname = 'public'
       and policyname in ('chapters_select_member_or_coordinated', 'chapter_memberships_select_own_or_coordinated',
                          'coordinator_assignments_select_own_or_co_coordinator')
       and qual ~ '^\(*\w+ = ANY \(ARRAY\('),
    3, 'each of the three policies starts with its index condition: column = any (array(select ...))');

select * from finish();
rollback;
