-- Policies and grants
--
-- Who may read and call what. anon gets nothing. authenticated reads through the row-level security policies (each
-- bound to one index condition through the helpers in 30_row_access.sql) and changes a status only through the rpc.
-- service_role (bypasses RLS) reads everything, writes the organisation's own tables and calls the system path.
-- Every object is first stripped of the platform's default grants, then given exactly what it needs.
--
-- Part of the declarative schema: supabase/schemas/*.sql, applied in file-name order on top of the platform layer,
-- describe the database as the migrations leave it. Change the schema here, then `mentorstatus db diff -f NAME`
-- writes the migration and its rollback; CI fails when these files and the migrations disagree.

-- Row-level security policies (RLS is switched on for every table in 10_types_and_tables.sql) ---------------
create policy organisations_select_visible on public.organisations
    for select to authenticated
    using (id = any (array(select mentor_status_private.visible_organisation_ids())));

create policy chapters_select_member_or_coordinated on public.chapters
    for select to authenticated
    using (
        id = any (array(select mentor_status_private.coordinated_chapter_ids()
                        union all
                        select mentor_status_private.member_chapter_ids()))
    );

create policy peer_mentors_select_self_or_coordinated on public.peer_mentors
    for select to authenticated
    using (
        deleted_at is null
        and id = any (array(select mentor_status_private.visible_mentor_ids()))
    );

create policy chapter_memberships_select_own_or_coordinated on public.chapter_memberships
    for select to authenticated
    using (
        mentor_id = any (array(select mentor_status_private.visible_mentor_ids()))
        and (mentor_id = any (array(select mentor_status_private.own_mentor_ids()))
             or chapter_id = any (array(select mentor_status_private.coordinated_chapter_ids())))
    );

create policy coordinator_assignments_select_own_or_co_coordinator on public.coordinator_assignments
    for select to authenticated
    using (
        chapter_id = any (array(select mentor_status_private.assigned_chapter_ids()))
        and (user_id = (select auth.uid())
             or chapter_id = any (array(select mentor_status_private.coordinated_chapter_ids())))
    );

create policy peer_mentor_status_history_select_visible on public.peer_mentor_status_history
    for select to authenticated
    using (mentor_id = any (array(select mentor_status_private.visible_mentor_ids())));

-- The status rules are readable by every signed-in user (the app shows them); written only by migration.
create policy mentor_status_reason_codes_select_all on public.mentor_status_reason_codes
    for select to authenticated
    using (true);

create policy mentor_status_transitions_select_all on public.mentor_status_transitions
    for select to authenticated
    using (true);

create policy mentor_status_rules_select_all on public.mentor_status_rules
    for select to authenticated
    using (true);

create policy mentor_status_settings_select_all on public.mentor_status_settings
    for select to authenticated
    using (true);

-- A coordinator reads only their own inbox rows; they mark them read through mark_notification_read().
create policy coordinator_inbox_read_own on public.coordinator_inbox
    for select to authenticated
    using (user_id = (select auth.uid()));

-- Default privileges: narrower than Supabase's (which grant all on new tables in public to the API roles) ----
alter default privileges for role postgres in schema public
    revoke all on tables from anon;
alter default privileges for role postgres in schema public
    revoke insert, update, delete, truncate, trigger, references on tables from authenticated;
alter default privileges for role postgres in schema public
    revoke truncate, trigger, references on tables from service_role;

-- The private schema: callable by the policies and the service, never exposed by PostgREST ------------------
revoke all on schema mentor_status_private from public, anon, authenticated, service_role;
grant usage on schema mentor_status_private to authenticated, service_role;

-- Tables: the API roles read through the policies; writes go through the functions --------------------------
revoke all on table
    public.chapter_memberships,
    public.chapters,
    public.coordinator_assignments,
    public.coordinator_inbox,
    public.coordinator_notification_deliveries,
    public.coordinator_notifications,
    public.mentor_erasures,
    public.mentor_status_reason_codes,
    public.mentor_status_rules,
    public.mentor_status_settings,
    public.mentor_status_transitions,
    public.organisations,
    public.peer_mentor_status_history,
    public.peer_mentors,
    public.status_job_runs,
    public.system_status_change_sources
from public, anon, authenticated, service_role;
grant select on table
    public.chapter_memberships,
    public.chapters,
    public.coordinator_assignments,
    public.coordinator_inbox,
    public.mentor_status_reason_codes,
    public.mentor_status_rules,
    public.mentor_status_settings,
    public.mentor_status_transitions,
    public.organisations,
    public.peer_mentor_status_history,
    public.peer_mentors
to authenticated;
grant select, insert, update, delete on table
    public.chapter_memberships,
    public.chapters,
    public.coordinator_assignments,
    public.organisations,
    public.peer_mentors
to service_role;
grant select on table
    public.coordinator_inbox,
    public.coordinator_notification_deliveries,
    public.coordinator_notifications,
    public.mentor_erasures,
    public.mentor_status_reason_codes,
    public.mentor_status_rules,
    public.mentor_status_settings,
    public.mentor_status_transitions,
    public.peer_mentor_status_history,
    public.status_job_runs,
    public.system_status_change_sources
to service_role;

-- Functions: the rpc and the helpers the policies call for authenticated; the system path for service_role ----
revoke all on function
    mentor_status_private.assigned_chapter_ids(),
    mentor_status_private.change_status_as_user(uuid,public.mentor_status,text),
    mentor_status_private.coordinated_chapter_ids(),
    mentor_status_private.coordinated_mentor_ids(),
    mentor_status_private.coordinator_change_limit_reached(),
    mentor_status_private.erase_mentors_from_notifications(),
    mentor_status_private.is_coordinator_of_mentor(uuid),
    mentor_status_private.mark_inbox_row_read(uuid),
    mentor_status_private.member_chapter_ids(),
    mentor_status_private.mentor_timeline(uuid,timestamp with time zone,uuid,integer),
    mentor_status_private.notification_recipients(uuid[]),
    mentor_status_private.notify_coordinators_when_run_finishes(),
    mentor_status_private.own_mentor_ids(),
    mentor_status_private.pause_cause(uuid,public.mentor_status),
    mentor_status_private.pause_expired_certifications(uuid,timestamp with time zone,integer),
    mentor_status_private.pause_expired_certifications(uuid,timestamp with time zone,integer,timestamp with time zone,uuid),
    mentor_status_private.record_mentor_erasure(),
    mentor_status_private.record_system_status_change(uuid,public.mentor_status,text,uuid),
    mentor_status_private.record_system_status_change(uuid,public.mentor_status,text,uuid,text),
    mentor_status_private.refuse_as_of_in_the_future(timestamp with time zone),
    mentor_status_private.refuse_audit_change(),
    mentor_status_private.refuse_run_as_of_in_the_future(),
    mentor_status_private.refuse_status_without_history(),
    mentor_status_private.visible_mentor_ids(),
    mentor_status_private.visible_organisation_ids(),
    mentor_status_private.write_initial_status_records(),
    mentor_status_private.write_run_notifications(uuid),
    public.allowed_status_changes(uuid),
    public.change_mentor_status(uuid,public.mentor_status,text),
    public.mark_notification_read(uuid),
    public.mentor_timeline(uuid,timestamp with time zone,uuid,integer),
    public.peer_mentor_status_history_refuse_delete(),
    public.peer_mentor_status_history_refuse_truncate(),
    public.peer_mentor_status_history_refuse_update(),
    public.peer_mentors_refuse_direct_status_change()
from public, anon, authenticated, service_role;
grant execute on function
    mentor_status_private.assigned_chapter_ids(),
    mentor_status_private.change_status_as_user(uuid,public.mentor_status,text),
    mentor_status_private.coordinated_chapter_ids(),
    mentor_status_private.coordinated_mentor_ids(),
    mentor_status_private.coordinator_change_limit_reached(),
    mentor_status_private.is_coordinator_of_mentor(uuid),
    mentor_status_private.mark_inbox_row_read(uuid),
    mentor_status_private.member_chapter_ids(),
    mentor_status_private.mentor_timeline(uuid,timestamp with time zone,uuid,integer),
    mentor_status_private.own_mentor_ids(),
    mentor_status_private.pause_cause(uuid,public.mentor_status),
    mentor_status_private.visible_mentor_ids(),
    mentor_status_private.visible_organisation_ids(),
    public.allowed_status_changes(uuid),
    public.change_mentor_status(uuid,public.mentor_status,text),
    public.mark_notification_read(uuid),
    public.mentor_timeline(uuid,timestamp with time zone,uuid,integer)
to authenticated;
grant execute on function
    mentor_status_private.pause_cause(uuid,public.mentor_status),
    mentor_status_private.record_system_status_change(uuid,public.mentor_status,text,uuid),
    mentor_status_private.record_system_status_change(uuid,public.mentor_status,text,uuid,text)
to service_role;

revoke all on procedure
    mentor_status_private.run_certification_expiry_job(timestamp with time zone,integer,interval)
from public, anon, authenticated, service_role;
