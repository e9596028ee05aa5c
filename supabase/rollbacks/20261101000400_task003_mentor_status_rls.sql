-- Rollback of 20261101000400_task003_mentor_status_rls: removes the policies, the status-change
-- functions, the private helper schema and the transitions table, and puts the history table's
-- privileges back as task-002 left them (RLS stays enabled, with no policy: deny).

drop function mentor_status_private.record_system_status_change(uuid, public.mentor_status, text, uuid);
drop function public.change_mentor_status(uuid, public.mentor_status, text);

revoke select on table public.peer_mentor_status_history from authenticated;
grant insert, references, trigger on table public.peer_mentor_status_history to service_role;

drop policy mentor_status_transitions_select_all on public.mentor_status_transitions;
drop policy mentor_status_reason_codes_select_all on public.mentor_status_reason_codes;
drop policy peer_mentor_status_history_select_visible on public.peer_mentor_status_history;
drop policy coordinator_assignments_select_own_or_co_coordinator on public.coordinator_assignments;
drop policy chapter_memberships_select_own_or_coordinated on public.chapter_memberships;
drop policy peer_mentors_select_self_or_coordinated on public.peer_mentors;
drop policy chapters_select_member_or_coordinated on public.chapters;
drop policy organisations_select_visible on public.organisations;

drop function mentor_status_private.is_coordinator_of_mentor(uuid);
drop function mentor_status_private.visible_organisation_ids();
drop function mentor_status_private.member_chapter_ids();
drop function mentor_status_private.visible_mentor_ids();
drop function mentor_status_private.own_mentor_ids();
drop function mentor_status_private.coordinated_mentor_ids();
drop function mentor_status_private.coordinated_chapter_ids();

drop schema mentor_status_private;

drop table public.mentor_status_transitions;
