-- requires: 20261101000400
-- task-003 follow-up: a mentor's status changes only through change_mentor_status() and the
-- system path (mentor_status_private), never by a direct UPDATE from an API role.
--
-- Why a trigger and not a grant: Supabase's default privileges give anon, authenticated and
-- service_role UPDATE on every public table, and service_role bypasses RLS. A direct
-- `update peer_mentors set status = …` as service_role would change the status with no history
-- row, breaking "the newest history row is the current status". The sanctioned paths are
-- security definer functions, so inside them current_user is the table owner, not an API role:
-- that is what the trigger tells apart.
--
-- The vocabulary of status changes is closed the same way: the reason codes and the allowed
-- transitions change only by migration. Supabase's default privileges would let service_role (which
-- bypasses RLS) add a code such as a diagnosis, and with it write health information as a "reason".
--
-- Error raised here:
--   42501  insufficient_privilege: a direct status change by anon, authenticated or service_role.

create function public.peer_mentors_refuse_direct_status_change()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
    if current_user in ('anon', 'authenticated', 'service_role') then
        raise exception 'the status of peer mentor % cannot be changed directly by role %', old.id, current_user
            using errcode = '42501',
                  hint = 'call public.change_mentor_status(mentor_id, new_status, reason) (PostgREST rpc), '
                         'or mentor_status_private.record_system_status_change(...) for system changes, '
                         'so that the change and its history row are written together.';
    end if;
    return new;
end;
$$;

comment on function public.peer_mentors_refuse_direct_status_change() is
    'Trigger function: refuses a change of peer_mentors.status or status_changed_at made directly by an '
    'API role (anon, authenticated, service_role). The status functions run as the owner and pass.';

revoke all on function public.peer_mentors_refuse_direct_status_change() from public, anon, authenticated, service_role;

create trigger peer_mentors_refuse_direct_status_change
    before update of status, status_changed_at on public.peer_mentors
    for each row
    -- current_user in the WHEN clause: the owner's set-based job never pays for a function call per row
    when ((old.status is distinct from new.status or old.status_changed_at is distinct from new.status_changed_at)
          and current_user in ('anon', 'authenticated', 'service_role'))
    execute function public.peer_mentors_refuse_direct_status_change();

revoke insert, update, delete, truncate on public.mentor_status_reason_codes from anon, authenticated, service_role;
revoke insert, update, delete, truncate on public.mentor_status_transitions from anon, authenticated, service_role;
