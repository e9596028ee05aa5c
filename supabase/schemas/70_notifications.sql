-- Coordinator notifications
--
-- When a certification-expiry run leaves running, a trigger writes one outbox row (public.coordinator_notifications)
-- and one inbox row (public.coordinator_inbox) per coordinator of the paused mentors' chapters, in the transaction that
-- ends the run; the organisation's coordinators are the recorded fallback. The dispatcher (.NET) delivers the outbox
-- over its channels and records each channel's outcome in public.coordinator_notification_deliveries.
--
-- Part of the declarative schema: supabase/schemas/*.sql, applied in file-name order on top of the platform layer,
-- describe the database as the migrations leave it. Change the schema here, then `mentorstatus db diff -f NAME`
-- writes the migration and its rollback; CI fails when these files and the migrations disagree.

-- Who is told, once per run ---------------------------------------------------------------------------------
create or replace function mentor_status_private.notification_recipients(p_mentor_ids uuid[])
    returns table(coordinator_user_id uuid, mentor_id uuid, fell_back_to_organisation boolean)
    language sql
    stable
    set search_path to ''
as $function$
    with chapter_coordinators as (
        -- every active coordinator of every chapter of the mentor
        select distinct ca.user_id, cm.mentor_id
        from public.chapter_memberships cm
        join public.coordinator_assignments ca on ca.chapter_id = cm.chapter_id
        where cm.mentor_id = any (p_mentor_ids)
          and ca.revoked_at is null
    ),
    uncovered as (
        -- the mentors none of whose chapters has one (usually none): only they are read again below
        select u.id from unnest(p_mentor_ids) as u (id)
        except
        select cc.mentor_id from chapter_coordinators cc
    ),
    organisation_coordinators as (
        -- every active coordinator of the organisation
        select distinct ca.user_id, m.id as mentor_id
        from public.peer_mentors m
        join public.chapters c on c.organisation_id = m.organisation_id
        join public.coordinator_assignments ca on ca.chapter_id = c.id
        where m.id = any (array(select u.id from uncovered u))
          and ca.revoked_at is null
    )
    select user_id, mentor_id, false from chapter_coordinators
    union all
    select user_id, mentor_id, true from organisation_coordinators
$function$;
comment on function mentor_status_private.notification_recipients(uuid[]) is
    'Who must be told about each of these mentors: every active coordinator (revoked_at is null) of '
    'every chapter the mentor belongs to; when none of them has one, every active coordinator of the '
    'mentor''s organisation (fell_back_to_organisation = true). A mentor with neither gets no row. One '
    'row per (coordinator, mentor). Reads past RLS only for its owner: not granted to the API roles.';

create or replace function mentor_status_private.write_run_notifications(p_job_run_id uuid)
    returns integer
    language sql
    set search_path to ''
as $function$
    with paused as (
        select h.mentor_id
        from public.peer_mentor_status_history h
        where h.job_run_id = p_job_run_id
          and h.reason = 'certification_expired'
          and h.new_status = 'paused'
    ),
    recipients as (
        select r.coordinator_user_id,
               array_agg(r.mentor_id order by r.mentor_id) as mentor_ids,
               coalesce(array_agg(r.mentor_id order by r.mentor_id) filter (where r.fell_back_to_organisation), '{}') as fallback_mentor_ids
        from mentor_status_private.notification_recipients(array(select distinct p.mentor_id from paused p)) r
        group by r.coordinator_user_id
    ),
    notified as (
        -- a merge only for a run whose batches wrote notifications before 20261127170100
        insert into public.coordinator_notifications as n
            (job_run_id, coordinator_user_id, mentor_ids, fallback_mentor_ids)
        select p_job_run_id, r.coordinator_user_id, r.mentor_ids, r.fallback_mentor_ids
        from recipients r
        on conflict (job_run_id, coordinator_user_id) do update
        set mentor_ids = array(select distinct u from unnest(n.mentor_ids || excluded.mentor_ids) u order by u),
            fallback_mentor_ids = array(select distinct u from unnest(n.fallback_mentor_ids || excluded.fallback_mentor_ids) u order by u),
            updated_at = now()
        returning n.id
    )
    select count(*)::integer from notified
$function$;
comment on function mentor_status_private.write_run_notifications(uuid) is
    'Writes the coordinator notifications of one certification-expiry run from its history rows (the '
    'mentors it paused): one per coordinator (notification_recipients), merged into any the run already '
    'has. Called by the trigger on status_job_runs when the run finishes; returns the notifications '
    'written. Owner only.';

create or replace function mentor_status_private.notify_coordinators_when_run_finishes()
    returns trigger
    language plpgsql
    set search_path to ''
as $function$
begin
    perform mentor_status_private.write_run_notifications(new.id);
    insert into public.coordinator_inbox (notification_id, user_id, job_run_id, reason, mentor_ids, fallback_mentor_ids)
    select n.id, n.coordinator_user_id, n.job_run_id, 'certification_expired', n.mentor_ids, n.fallback_mentor_ids
    from public.coordinator_notifications n
    where n.job_run_id = new.id
      and pg_catalog.cardinality(n.mentor_ids) > 0
    on conflict (notification_id) do nothing;
    return null;
end;
$function$;
comment on function mentor_status_private.notify_coordinators_when_run_finishes() is
    'AFTER UPDATE trigger of status_job_runs: when a certification_expiry run leaves running (succeeded, '
    'failed, abandoned), writes its coordinator notifications and their in-app inbox rows in the same '
    'transaction (one inbox row per notification), so the inbox is filled with or without the '
    'dispatcher, and the dispatcher, which delivers only runs that are no longer running, finds the '
    'outbox complete.';

create trigger status_job_runs_notify_coordinators_when_finished
    after update of outcome on public.status_job_runs
    for each row
    when (((old.outcome = 'running'::text) and (new.outcome <> 'running'::text) and (new.job_name = 'certification_expiry'::text))) execute function mentor_status_private.notify_coordinators_when_run_finishes();


-- The in-app inbox ------------------------------------------------------------------------------------------
create or replace function mentor_status_private.mark_inbox_row_read(p_notification_id uuid)
    returns timestamp with time zone
    language plpgsql
    security definer
    set search_path to 'pg_catalog', 'pg_temp'
as $function$
declare
    v_read_at timestamptz;
begin
    update public.coordinator_inbox i
    set read_at = coalesce(i.read_at, pg_catalog.now())
    where i.notification_id = p_notification_id
      and i.user_id = auth.uid()
    returning i.read_at into v_read_at;
    if v_read_at is null then
        -- the same error for "no such notification" and "not yours": existence is not leaked
        raise exception 'notification % not found', p_notification_id
            using errcode = 'MS404', hint = 'Use the notification_id of a row of your own coordinator_inbox.';
    end if;
    return v_read_at;
end;
$function$;
comment on function mentor_status_private.mark_inbox_row_read(uuid) is
    'Marks one of the current user''s (auth.uid()) inbox rows read; a second call keeps the first '
    'read_at. MS404 when the row does not exist or is someone else''s. Called through '
    'public.mark_notification_read.';

create or replace function public.mark_notification_read(p_notification_id uuid)
    returns timestamp with time zone
    language sql
    set search_path to 'pg_catalog', 'pg_temp'
as $function$
    select mentor_status_private.mark_inbox_row_read(p_notification_id)
$function$;
comment on function public.mark_notification_read(uuid) is
    'rpc for the app: mark one of my in-app notifications (coordinator_inbox.notification_id) read; '
    'returns read_at. Raises MS404 for a notification that is not mine.';

-- Supabase creates the publication supabase_realtime; plain PostgreSQL has none. The inbox is in it where it
-- exists and lists its tables (a FOR ALL TABLES publication has it already), so the app gets new rows live.
do $$
begin
    if exists (select 1 from pg_catalog.pg_publication p where p.pubname = 'supabase_realtime' and not p.puballtables)
       and not exists (select 1 from pg_catalog.pg_publication_tables t
                       where t.pubname = 'supabase_realtime' and t.schemaname = 'public' and t.tablename = 'coordinator_inbox') then
        alter publication supabase_realtime add table public.coordinator_inbox;
    end if;
end;
$$;
