-- issue 10 part 3: a caller's pg_temp cannot hijack a security definer function. The attacker, signed
-- in, shadows the type uuid with a temporary domain whose CHECK runs their code; a definer function
-- that resolves uuid through pg_temp (search_path '') then runs that code as its owner. Ours name
-- pg_temp last (search_path = pg_catalog, pg_temp) and resist.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;

select plan(4);

insert into auth.users (id) values ('00000000-0000-4000-c051-000000000001');
insert into public.organisations (id, name) values ('00000000-0000-4000-c051-0000000000a1', 'Attack org');
insert into public.peer_mentors (id, user_id, organisation_id, display_name) values
    ('00000000-0000-4000-c051-0000000000b1', '00000000-0000-4000-c051-000000000001', '00000000-0000-4000-c051-0000000000a1', 'Attacker');
-- (the insert of the mentor wrote its initial_status history record)

-- A vulnerable copy, shaped like the functions before issue 10.
create function mentor_status_private.vulnerable_copy() returns int language plpgsql security definer set search_path = ''
as $$ declare v uuid; begin v := auth.uid(); return 1; end $$;
grant execute on function mentor_status_private.vulnerable_copy() to authenticated;

set local role authenticated;
set local request.jwt.claims = '{"sub":"00000000-0000-4000-c051-000000000001","role":"authenticated"}';
create function pg_temp.evil(u pg_catalog.uuid) returns boolean language plpgsql as $f$
begin
    update public.peer_mentors set display_name = 'pwned by ' || current_user;
    return true;
end
$f$;
create domain pg_temp.uuid as pg_catalog.uuid check (pg_temp.evil(value));

savepoint vulnerable;
select mentor_status_private.vulnerable_copy();
reset role;
select ok((select count(*) from public.peer_mentors where display_name = 'pwned by postgres') > 0,
    'the attack works on a definer function with search_path '''': the caller''s code ran as the owner');
rollback to savepoint vulnerable;

set local role authenticated;
set local request.jwt.claims = '{"sub":"00000000-0000-4000-c051-000000000001","role":"authenticated"}';
select lives_ok(
    $$select public.change_mentor_status('00000000-0000-4000-c051-0000000000b1', 'paused', 'self_pause')$$,
    'change_mentor_status works with the attacker''s domain in place');
select is((select count(*)::int from public.peer_mentor_status_history), 2, 'the policies'' helpers work too');
reset role;
select is((select count(*)::int from public.peer_mentors where display_name like 'pwned%'), 0,
    'the attack fails on the project''s functions: nothing ran as the owner');

select * from finish();
rollback;
