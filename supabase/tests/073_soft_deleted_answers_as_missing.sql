-- A soft-deleted mentor answers exactly like a mentor that does not exist, for their coordinators and for the
-- mentor themself: the same error (SQLSTATE, message, detail, hint; the id blanked) from change_mentor_status
-- whatever the reason code, no row from allowed_status_changes and mentor_timeline, false from the helper
-- is_coordinator_of_mentor.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;

select plan(8);

insert into auth.users (id) values
    ('00000000-0000-4000-d073-0000000000a1'),  -- the deleted mentor's login
    ('00000000-0000-4000-d073-0000000000a2');  -- their coordinator
insert into public.organisations (id, name) values ('00000000-0000-4000-d073-0000000000b1', 'Deleted org');
insert into public.chapters (id, organisation_id, name) values
    ('00000000-0000-4000-d073-0000000000c1', '00000000-0000-4000-d073-0000000000b1', 'X');
insert into public.peer_mentors (id, user_id, organisation_id, display_name) values
    ('00000000-0000-4000-d073-0000000000d1', '00000000-0000-4000-d073-0000000000a1', '00000000-0000-4000-d073-0000000000b1', 'Deleted');
insert into public.chapter_memberships (mentor_id, chapter_id) values
    ('00000000-0000-4000-d073-0000000000d1', '00000000-0000-4000-d073-0000000000c1');
insert into public.coordinator_assignments (user_id, chapter_id) values
    ('00000000-0000-4000-d073-0000000000a2', '00000000-0000-4000-d073-0000000000c1');
update public.peer_mentors set deleted_at = now() where id = '00000000-0000-4000-d073-0000000000d1';

-- The answer of change_mentor_status for this user, mentor and code, with the mentor id blanked.
create function pg_temp.answer(p_user uuid, p_mentor uuid, p_status public.mentor_status, p_reason text)
returns text
language plpgsql
as $$
declare
    v_detail text;
    v_hint text;
begin
    perform set_config('request.jwt.claims', jsonb_build_object('sub', p_user, 'role', 'authenticated')::text, true);
    perform set_config('role', 'authenticated', true);
    begin
        perform public.change_mentor_status(p_mentor, p_status, p_reason);
        reset role;
        return 'ok';
    exception when others then
        get stacked diagnostics v_detail = pg_exception_detail, v_hint = pg_exception_hint;
        reset role;
        return sqlstate || ' ' || replace(sqlerrm, p_mentor::text, '<id>') || ' | ' || coalesce(v_detail, '') || ' | ' || coalesce(v_hint, '');
    end;
end;
$$;

-- Every reason code, as the coordinator and as the mentor: the deleted mentor and a missing id answer alike.
select is(
    (select array_agg(c.code order by c.code) from public.mentor_status_reason_codes c
     where pg_temp.answer('00000000-0000-4000-d073-0000000000a2', '00000000-0000-4000-d073-0000000000d1', 'paused', c.code)
           is distinct from pg_temp.answer('00000000-0000-4000-d073-0000000000a2', '00000000-0000-4000-d073-0000000000ff', 'paused', c.code)),
    null,
    'for their coordinator, every reason code on the deleted mentor answers as on a missing id');
select is(
    (select array_agg(c.code order by c.code) from public.mentor_status_reason_codes c
     where pg_temp.answer('00000000-0000-4000-d073-0000000000a1', '00000000-0000-4000-d073-0000000000d1', 'paused', c.code)
           is distinct from pg_temp.answer('00000000-0000-4000-d073-0000000000a1', '00000000-0000-4000-d073-0000000000ff', 'paused', c.code)),
    null,
    'for the deleted mentor themself, every reason code answers as on a missing id');
select is(pg_temp.answer('00000000-0000-4000-d073-0000000000a2', '00000000-0000-4000-d073-0000000000d1', 'paused', 'self_pause'),
    pg_temp.answer('00000000-0000-4000-d073-0000000000a2', '00000000-0000-4000-d073-0000000000ff', 'paused', 'self_pause'),
    'a mentor code by the coordinator: the same answer as for a missing id (not MS403)');

-- The helpers and the other rpcs.
set local request.jwt.claims = '{"sub":"00000000-0000-4000-d073-0000000000a2","role":"authenticated"}';
set local role authenticated;
select is(mentor_status_private.is_coordinator_of_mentor('00000000-0000-4000-d073-0000000000d1'),
    mentor_status_private.is_coordinator_of_mentor('00000000-0000-4000-d073-0000000000ff'),
    'is_coordinator_of_mentor: false for the deleted mentor, as for a missing id');
select is((select count(*)::int from public.allowed_status_changes('00000000-0000-4000-d073-0000000000d1')), 0,
    'allowed_status_changes: nothing for the coordinator');
select is((select count(*)::int from public.mentor_timeline('00000000-0000-4000-d073-0000000000d1')), 0,
    'mentor_timeline: empty for the coordinator');
reset role;
set local request.jwt.claims = '{"sub":"00000000-0000-4000-d073-0000000000a1","role":"authenticated"}';
set local role authenticated;
select is((select count(*)::int from public.allowed_status_changes('00000000-0000-4000-d073-0000000000d1')), 0,
    'allowed_status_changes: nothing for the deleted mentor');
select is((select count(*)::int from public.mentor_timeline('00000000-0000-4000-d073-0000000000d1')), 0,
    'mentor_timeline: empty for the deleted mentor');
reset role;

select * from finish();
rollback;
