-- Rollback of 20261101000600_task003_status_writes_only_through_functions.sql.
-- Gives back Supabase's default privileges on the two vocabulary tables.
grant insert, update, delete, truncate on public.mentor_status_transitions to anon, authenticated, service_role;
grant insert, update, delete, truncate on public.mentor_status_reason_codes to anon, authenticated, service_role;
drop trigger peer_mentors_refuse_direct_status_change on public.peer_mentors;
drop function public.peer_mentors_refuse_direct_status_change();
