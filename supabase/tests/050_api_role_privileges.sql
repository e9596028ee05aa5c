-- issue 10 part 4: the API roles hold what the API needs, nothing more, on every table of the
-- exposed schema public; and the attacks those privileges allowed fail.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;

select plan(9);

select is_empty(
    $$select format('%s: %s %s', c.relname, r.rolname, priv)
      from pg_class c cross join pg_roles r cross join unnest(array['TRUNCATE', 'TRIGGER', 'REFERENCES']) priv
      where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p', 'v', 'm')
        and r.rolname in ('anon', 'authenticated', 'service_role')
        and has_table_privilege(r.oid, c.oid, priv)$$,
    'no API role holds TRUNCATE, TRIGGER or REFERENCES on any table of public');

select is_empty(
    $$select format('%s: anon %s', c.relname, priv)
      from pg_class c cross join unnest(array['SELECT', 'INSERT', 'UPDATE', 'DELETE']) priv
      where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p', 'v', 'm')
        and has_table_privilege('anon', c.oid, priv)$$,
    'anon holds nothing on any table of public (no policy is for anon; pg_graphql shows anon nothing)');

select is_empty(
    $$select format('%s: authenticated %s', c.relname, priv)
      from pg_class c cross join unnest(array['INSERT', 'UPDATE', 'DELETE']) priv
      where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p')
        and has_table_privilege('authenticated', c.oid, priv)$$,
    'authenticated writes no table of public directly (no write policy exists: writes go through functions)');

-- Future tables: the narrowed default privileges.
create table public.probe_future_table (id int);
select ok(not has_table_privilege('anon', 'public.probe_future_table', 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, TRIGGER, REFERENCES')
          and not has_table_privilege('authenticated', 'public.probe_future_table', 'INSERT, UPDATE, DELETE, TRUNCATE, TRIGGER, REFERENCES')
          and not has_table_privilege('service_role', 'public.probe_future_table', 'TRUNCATE, TRIGGER, REFERENCES'),
    'a table created later in public does not get TRUNCATE, TRIGGER, REFERENCES, nor anything for anon');

-- Attacks as a signed-in user.
-- A schema where the attacker may create tables (so that only REFERENCES decides the foreign key).
create schema probe_scratch;
grant usage, create on schema probe_scratch to authenticated;
create function pg_temp.break_every_update() returns trigger language plpgsql as $$ begin raise exception 'broken'; end $$;
set local role authenticated;
set local request.jwt.claims = '{"sub":"00000000-0000-4000-c050-000000000001","role":"authenticated"}';
select throws_ok(
    $$create trigger break_updates before update on public.peer_mentors for each statement execute function pg_temp.break_every_update()$$,
    '42501', null, 'authenticated cannot attach a trigger to peer_mentors');
select throws_ok($$truncate public.chapter_memberships$$, '42501', null, 'authenticated cannot truncate chapter_memberships');
select throws_ok($$truncate public.peer_mentor_status_history$$, '42501', null, 'authenticated cannot truncate the history');
select throws_ok(
    $$create table probe_scratch.pin_mentors (mentor_id uuid references public.peer_mentors (id))$$,
    '42501', null, 'authenticated cannot reference peer_mentors from a table of its own');
select throws_ok($$update public.organisations set name = 'x'$$, '42501', null, 'authenticated cannot update organisations');
reset role;

select * from finish();
rollback;
