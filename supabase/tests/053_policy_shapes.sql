-- issue 10 part 5: every policy's membership check is computed once per query (an InitPlan) and is an
-- index condition: `column = any (array(select helper()))`, never `column in (select helper())`, which
-- the planner runs as a per-row SubPlan over a scan of the whole table. The row counts themselves are
-- measured in tests/MentorStatus.Tests/Security/PolicyCostTests.cs (EXPLAIN ANALYZE over 200 k rows).
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;

select plan(4);

select is_empty(
    $$select tablename || '.' || policyname from pg_policies
      where schemaname = 'public' and coalesce(qual, '') || coalesce(with_check, '') ~* '\mIN \( SELECT'$$,
    'no policy in public uses "in (select ...)"');

select is_empty(
    $$select tablename || '.' || policyname from pg_policies
      where schemaname = 'public' and qual ~ 'mentor_status_private\.'
        and qual ~ 'mentor_status_private\.\w+\(\)' and qual !~ '= ANY \(ARRAY\( SELECT mentor_status_private\.'$$,
    'every policy calls its helpers as "= any (array(select ...))"');

select is(
    (select count(*)::int from pg_policies where schemaname = 'public' and qual ~ '= ANY \(ARRAY\( SELECT mentor_status_private\.'),
    6, 'the six membership policies (organisations, chapters, peer_mentors, memberships, assignments, history) have the InitPlan shape');

-- The plan of a stranger's newest-ten on the history: an InitPlan and an index condition on mentor_id.
insert into auth.users (id) values ('00000000-0000-4000-c053-000000000001');
create temp table plan_text (line text);
grant insert on plan_text to authenticated;
set local role authenticated;
set local request.jwt.claims = '{"sub":"00000000-0000-4000-c053-000000000001","role":"authenticated"}';
do $$
declare l text;
begin
    for l in explain (costs off) select * from public.peer_mentor_status_history order by changed_at desc limit 10 loop
        insert into plan_text values (l);
    end loop;
end
$$;
reset role;
select ok(
    exists (select 1 from plan_text where line ~ 'InitPlan')
    and exists (select 1 from plan_text where line ~ 'Index Cond: \(mentor_id = ANY \(\$0\)\)')
    and not exists (select 1 from plan_text where line ~ 'SubPlan'),
    'history under RLS: membership as an InitPlan, used as the index condition on mentor_id');

select * from finish();
rollback;
