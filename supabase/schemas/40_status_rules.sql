-- Status rules
--
-- The database enforces how a status may change, whoever calls: a status changes only with its history record
-- (MS101), the history and the audit tables are append-only (MS100), the rules in public.mentor_status_rules decide
-- who may use which reason (MS412), text arguments are bounded (MS413) and users are rate limited (MS429).
-- The user path is change_status_as_user (behind the rpc in 50_api.sql); the system path is
-- record_system_status_change (service_role and the owner only).
--
-- Part of the declarative schema: supabase/schemas/*.sql, applied in file-name order on top of the platform layer,
-- describe the database as the migrations leave it. Change the schema here, then `mentorstatus db diff -f NAME`
-- writes the migration and its rollback; CI fails when these files and the migrations disagree.

-- Status changes go through the functions; every status has its history -------------------------------------
create or replace function public.peer_mentors_refuse_direct_status_change()
    returns trigger
    language plpgsql
    set search_path to ''
as $function$
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
$function$;
comment on function public.peer_mentors_refuse_direct_status_change() is
    'Trigger function: refuses a change of peer_mentors.status or status_changed_at made directly by an '
    'API role (anon, authenticated, service_role). The status functions run as the owner and pass.';

create trigger peer_mentors_refuse_direct_status_change
    before update of status, status_changed_at on public.peer_mentors
    for each row
    when ((((old.status is distinct from new.status) or (old.status_changed_at is distinct from new.status_changed_at)) and (current_user = any (array['anon'::name, 'authenticated'::name, 'service_role'::name])))) execute function public.peer_mentors_refuse_direct_status_change();


create or replace function mentor_status_private.write_initial_status_records()
    returns trigger
    language plpgsql
    security definer
    set search_path to 'pg_catalog', 'pg_temp'
as $function$
begin
    -- security definer: service_role and imports hold no INSERT on the history, the owner does.
    insert into public.peer_mentor_status_history
        (mentor_id, previous_status, new_status, changed_by, changed_at, reason, job_run_id)
    select n.id, null, n.status, auth.uid(), least(n.created_at, pg_catalog.clock_timestamp()), 'initial_status', null
    from new_mentors n;
    return null;
end;
$function$;
comment on function mentor_status_private.write_initial_status_records() is
    'AFTER INSERT statement trigger of peer_mentors: writes the initial history record of every inserted '
    'mentor (previous_status NULL, reason initial_status, changed_by auth.uid()). Not callable directly.';

create trigger peer_mentors_write_initial_status
    after insert on public.peer_mentors
    referencing new table as new_mentors
    for each statement execute function mentor_status_private.write_initial_status_records();


create or replace function mentor_status_private.refuse_status_without_history()
    returns trigger
    language plpgsql
    security definer
    set search_path to 'pg_catalog', 'pg_temp'
as $function$
declare
    v_mentor_id uuid;
    v_from public.mentor_status;
    v_to public.mentor_status;
    v_recorded public.mentor_status;
begin
    -- security definer: reads every history record whoever updates (row-level security aside).
    -- Old and new rows paired by grouping, not by a join: linear whatever the cached plan's estimates.
    with changed as (
        select s.id,
               max(s.status) filter (where not s.is_new) as from_status,
               max(s.status) filter (where s.is_new) as to_status
        from (
            select o.id, o.status, false as is_new from old_mentors o
            union all
            select n.id, n.status, true from new_mentors n
        ) s
        group by s.id
        having max(s.status) filter (where s.is_new) is distinct from max(s.status) filter (where not s.is_new)
    )
    select c.id, c.from_status, c.to_status, h.new_status
      into v_mentor_id, v_from, v_to, v_recorded
    from changed c
    left join lateral (
        select h.new_status
        from public.peer_mentor_status_history h
        where h.mentor_id = c.id
        order by h.changed_at desc
        limit 1
    ) h on true
    where h.new_status is distinct from c.to_status
    limit 1;

    if v_mentor_id is not null then
        raise exception 'status of peer mentor % changed from % to % without a history record', v_mentor_id, v_from, v_to
            using errcode = 'MS101',
                  detail = format('The mentor''s newest history record says %s.', coalesce(v_recorded::text, 'nothing (no record)')),
                  hint = 'Change a status through public.change_mentor_status (users) or '
                         'mentor_status_private.record_system_status_change (system); a bulk job appends the '
                         'history records in the same statement (a data-modifying CTE) or before the UPDATE.';
    end if;
    return null;
end;
$function$;
comment on function mentor_status_private.refuse_status_without_history() is
    'AFTER UPDATE statement trigger of peer_mentors: refuses (SQLSTATE MS101) a statement that changed a '
    'mentor''s status unless that mentor''s newest history record has the new status. Not callable '
    'directly.';

create trigger peer_mentors_refuse_status_without_history
    after update on public.peer_mentors
    referencing old table as old_mentors new table as new_mentors
    for each statement execute function mentor_status_private.refuse_status_without_history();


-- The history is append-only --------------------------------------------------------------------------------
create or replace function public.peer_mentor_status_history_refuse_update()
    returns trigger
    language plpgsql
    set search_path to ''
as $function$
begin
    -- The only update allowed: the changed_by foreign key's ON DELETE SET NULL, i.e. fired from a
    -- referential action, changed_by from non-NULL to NULL, every other column unchanged, and
    -- (where we may look) the referenced user really gone.
    if pg_catalog.pg_trigger_depth() > 1
       and old.changed_by is not null
       and new.changed_by is null
       and (pg_catalog.to_jsonb(new) - 'changed_by') = (pg_catalog.to_jsonb(old) - 'changed_by')
       and (
           not pg_catalog.has_table_privilege('auth.users', 'select')
           or not exists (select 1 from auth.users u where u.id = old.changed_by)
       )
    then
        return new;
    end if;

    raise exception 'peer_mentor_status_history is append-only: UPDATE of record % refused', old.id
        using errcode = 'MS100',
              detail = 'Only the changed_by foreign key''s ON DELETE SET NULL may update a history record.',
              hint = 'Append a new record instead: call public.change_mentor_status (users) or '
                     'mentor_status_private.record_system_status_change (jobs).';
end;
$function$;
comment on function public.peer_mentor_status_history_refuse_update() is
    'BEFORE UPDATE row trigger of peer_mentor_status_history: refuses every UPDATE (SQLSTATE MS100) '
    'except the changed_by foreign key''s ON DELETE SET NULL (fired from a referential action, only '
    'changed_by going from non-NULL to NULL). Not callable directly.';

create trigger peer_mentor_status_history_refuse_update
    before update on public.peer_mentor_status_history
    for each row execute function public.peer_mentor_status_history_refuse_update();


create or replace function public.peer_mentor_status_history_refuse_delete()
    returns trigger
    language plpgsql
    set search_path to ''
as $function$
begin
    -- The only delete allowed: the mentor_id foreign key's ON DELETE CASCADE, i.e. fired from a
    -- referential action after the parent peer_mentors row is gone.
    if pg_catalog.pg_trigger_depth() > 1
       and not exists (select 1 from public.peer_mentors m where m.id = old.mentor_id)
    then
        return old;
    end if;

    raise exception 'peer_mentor_status_history is append-only: DELETE of record % refused', old.id
        using errcode = 'MS100',
              detail = 'History records are removed only by ON DELETE CASCADE when their peer_mentors row is hard-deleted.',
              hint = 'For a right-to-erasure request delete the peer_mentors row; otherwise soft-delete the '
                     'mentor (peer_mentors.deleted_at) and keep the history.';
end;
$function$;
comment on function public.peer_mentor_status_history_refuse_delete() is
    'BEFORE DELETE row trigger of peer_mentor_status_history: refuses every DELETE (SQLSTATE MS100), '
    'even by the owner, except the mentor_id foreign key''s ON DELETE CASCADE from peer_mentors. Not '
    'callable directly.';

create trigger peer_mentor_status_history_refuse_delete
    before delete on public.peer_mentor_status_history
    for each row execute function public.peer_mentor_status_history_refuse_delete();


create or replace function public.peer_mentor_status_history_refuse_truncate()
    returns trigger
    language plpgsql
    set search_path to ''
as $function$
begin
    raise exception 'peer_mentor_status_history is append-only: TRUNCATE refused'
        using errcode = 'MS100',
              detail = 'TRUNCATE would erase the audit trail of every mentor.',
              hint = 'History records are removed only by ON DELETE CASCADE when their peer_mentors row is hard-deleted.';
end;
$function$;
comment on function public.peer_mentor_status_history_refuse_truncate() is
    'BEFORE TRUNCATE statement trigger of peer_mentor_status_history: always refuses (SQLSTATE MS100), '
    'also a TRUNCATE ... CASCADE from peer_mentors. Not callable directly.';

create trigger peer_mentor_status_history_refuse_truncate
    before truncate on public.peer_mentor_status_history
    for each statement execute function public.peer_mentor_status_history_refuse_truncate();


-- Audit tables are append-only (system change sources here, erasure records in 80_erasure.sql) --------------
create or replace function mentor_status_private.refuse_audit_change()
    returns trigger
    language plpgsql
    set search_path to 'pg_catalog', 'pg_temp'
as $function$
begin
    -- The one delete let through: a source row going with its mentor (the cascade of a hard delete).
    -- (nested: OLD has mentor_id only on that table, and no row at all for TRUNCATE)
    if tg_op = 'DELETE' and tg_table_name = 'system_status_change_sources' and pg_catalog.pg_trigger_depth() > 1 then
        if not exists (select 1 from public.peer_mentors m where m.id = old.mentor_id) then
            return old;
        end if;
    end if;
    raise exception '%.% is append-only: % refused', tg_table_schema, tg_table_name, tg_op
        using errcode = 'MS100',
              hint = 'Audit records are written by the database itself and never changed.';
end;
$function$;
comment on function mentor_status_private.refuse_audit_change() is
    'BEFORE UPDATE/DELETE/TRUNCATE trigger of the audit tables public.mentor_erasures and '
    'public.system_status_change_sources: refuses (MS100), even for the owner, except the cascade that '
    'removes a source row with its mentor (hard delete). Not callable directly.';

create trigger system_status_change_sources_append_only
    before delete or update on public.system_status_change_sources
    for each row execute function mentor_status_private.refuse_audit_change();

create trigger system_status_change_sources_no_truncate
    before truncate on public.system_status_change_sources
    for each statement execute function mentor_status_private.refuse_audit_change();


-- Who paused decides who may resume; rate limits ------------------------------------------------------------
create or replace function mentor_status_private.pause_cause(p_mentor_id uuid, p_status public.mentor_status)
    returns text
    language sql
    stable
    set search_path to 'pg_catalog', 'pg_temp'
as $function$
    select case
               when p_status is distinct from 'paused'::public.mentor_status then null
               else coalesce(
                   (select case when h.new_status = 'paused'::public.mentor_status then h.reason end
                    from public.peer_mentor_status_history h
                    where h.mentor_id = p_mentor_id
                    order by h.changed_at desc
                    limit 1),
                   'initial_status')
           end
$function$;
comment on function mentor_status_private.pause_cause(uuid,public.mentor_status) is
    'Why a mentor with status p_status is paused: the reason of their newest history record (one probe '
    'of the timeline index). NULL when p_status is not paused. initial_status when no record says why '
    '(created paused, or history older than the mentor''s status): then a coordinator decides.';

create or replace function mentor_status_private.coordinator_change_limit_reached()
    returns boolean
    language plpgsql
    stable security definer
    set search_path to 'pg_catalog', 'pg_temp'
as $function$
declare
    v_uid pg_catalog.uuid := auth.uid();
    v_limit pg_catalog.int4;
    v_window pg_catalog.interval;
    v_recent pg_catalog.int4;
begin
    select s.coordinator_change_limit, s.coordinator_change_window into v_limit, v_window
    from public.mentor_status_settings s;
    if v_uid is null or not found then
        return false;
    end if;
    -- security definer: counts every change of the user, also on mentors they no longer see; at most the
    -- limit's index entries (changed_by, changed_at desc)
    select pg_catalog.count(*)::pg_catalog.int4 into v_recent
    from (
        select 1
        from public.peer_mentor_status_history h
        where h.changed_by = v_uid
          and h.changed_at > pg_catalog.clock_timestamp() - v_window
        order by h.changed_at desc
        limit v_limit
    ) r;
    return v_recent >= v_limit;
end;
$function$;
comment on function mentor_status_private.coordinator_change_limit_reached() is
    'True when the current user (auth.uid()) made coordinator_change_limit or more status changes within '
    'coordinator_change_window (public.mentor_status_settings): change_mentor_status would refuse their '
    'next coordinator change (MS429). Used by public.allowed_status_changes.';

-- The system path (jobs, services) and the user path --------------------------------------------------------
create or replace function mentor_status_private.record_system_status_change(
    p_mentor_id uuid,
    p_new_status public.mentor_status,
    p_reason text,
    p_job_run_id uuid,
    p_service text
)
    returns public.peer_mentor_status_history
    language plpgsql
    security definer
    set search_path to 'pg_catalog', 'pg_temp'
as $function$
declare
    c_reason_max_length constant integer := 63;
    c_service_format constant text := '^[a-z][a-z0-9_.-]{1,62}$';
    v_actor_kind text;
    v_current_status public.mentor_status;
    v_certification_expires_at timestamptz;
    v_previous_status public.mentor_status;
    v_cause text;
    v_requires_valid_certification boolean;
    v_allowed text;
    v_changed_at timestamptz;
    v_history public.peer_mentor_status_history;
begin
    if p_mentor_id is null or p_new_status is null or p_reason is null then
        raise exception 'record_system_status_change: mentor id, new status and reason are all required'
            using errcode = 'MS400',
                  hint = 'Pass p_mentor_id, p_new_status and p_reason (a system code of mentor_status_reason_codes).';
    end if;

    if p_service is not null and p_service !~ c_service_format then
        raise exception 'record_system_status_change: service name % is not a name (lower case letters, digits, _ . -; 2 to 63 characters)',
                case when pg_catalog.length(p_service) <= 63 then pg_catalog.quote_literal(p_service)
                     else pg_catalog.format('(%s characters, not repeated here)', pg_catalog.length(p_service)) end
            using errcode = 'MS400',
                  hint = 'Pass the service''s name, e.g. ''mentorstatus-worker''.';
    end if;

    if pg_catalog.length(p_reason) > c_reason_max_length then
        raise exception 'record_system_status_change: reason is % characters long; the limit is % characters', pg_catalog.length(p_reason), c_reason_max_length
            using errcode = 'MS413',
                  hint = 'Pass a system code of public.mentor_status_reason_codes (at most 63 characters).';
    end if;

    select rc.actor_kind into v_actor_kind
    from public.mentor_status_reason_codes rc
    where rc.code = p_reason;

    if not found then
        raise exception 'record_system_status_change: unknown reason code %',
            case when p_reason ~ '^[a-z][a-z0-9_]{2,62}$' then '"' || p_reason || '"'
                 else pg_catalog.format('(not a code: %s characters, not repeated here)', pg_catalog.length(p_reason)) end
            using errcode = 'MS422',
                  hint = 'Use one of the codes in public.mentor_status_reason_codes; free text is not accepted.';
    end if;

    if v_actor_kind <> 'system' then
        raise exception 'record_system_status_change: reason "%" is a % code, not a system code', p_reason, v_actor_kind
            using errcode = 'MS403',
                  hint = 'People change statuses through public.change_mentor_status.';
    end if;

    select m.status, m.certification_expires_at into v_current_status, v_certification_expires_at
    from public.peer_mentors m
    where m.id = p_mentor_id
      and m.deleted_at is null
    for update;

    if not found then
        raise exception 'record_system_status_change: mentor % not found', p_mentor_id
            using errcode = 'MS404',
                  hint = 'The mentor does not exist or is soft-deleted.';
    end if;

    if p_reason = 'initial_status' then
        -- The first record of a mentor: no previous status, and it records the status the mentor
        -- has (it does not change it). Since 20261127100100 inserting a mentor writes it.
        if p_new_status <> v_current_status
           or exists (select 1 from public.peer_mentor_status_history h where h.mentor_id = p_mentor_id) then
            raise exception 'record_system_status_change: initial_status must be the first record and equal the current status (%)', v_current_status
                using errcode = 'MS409',
                      hint = 'Inserting a peer_mentors row writes its initial_status record; there is nothing to add.';
        end if;
        v_previous_status := null;
    else
        v_previous_status := v_current_status;
    end if;

    if not exists (
        select 1
        from public.mentor_status_transitions t
        where t.reason_code = p_reason
          and t.from_status is not distinct from v_previous_status
          and t.to_status = p_new_status
    ) then
        raise exception 'record_system_status_change: reason "%" does not allow % -> %', p_reason, v_current_status, p_new_status
            using errcode = 'MS409',
                  hint = 'See public.mentor_status_transitions for the changes each reason code allows.';
    end if;

    if v_previous_status is not null then
        v_cause := mentor_status_private.pause_cause(p_mentor_id, v_current_status);

        select r.requires_valid_certification into v_requires_valid_certification
        from public.mentor_status_rules r
        where r.reason_code = p_reason
          and r.from_status = v_current_status
          and r.pause_cause is not distinct from v_cause
          and r.to_status = p_new_status
          and r.actor = 'system';

        if not found then
            select pg_catalog.string_agg(pg_catalog.format('%s (%s)',
                       case r.actor when 'self' then 'the mentor themself'
                                    when 'coordinator' then 'a coordinator of one of the mentor''s chapters'
                                    else 'the system' end,
                       r.reason_code), '; ' order by r.actor, r.reason_code)
              into v_allowed
            from public.mentor_status_rules r
            where r.from_status = v_current_status
              and r.pause_cause is not distinct from v_cause
              and r.to_status = p_new_status;

            raise exception 'record_system_status_change: "%" by the system is not allowed for a mentor %; who may make them %: %',
                    p_reason,
                    case when v_cause is null then 'who is ' || v_current_status::text
                         else 'paused by ' || v_cause end,
                    p_new_status, coalesce(v_allowed, 'nobody')
                using errcode = 'MS412',
                      hint = 'See public.mentor_status_rules.';
        end if;

        if v_requires_valid_certification and not coalesce(v_certification_expires_at > pg_catalog.now(), false) then
            raise exception 'record_system_status_change: "%" needs a certification that expires in the future (the mentor''s expires %)',
                    p_reason, coalesce(v_certification_expires_at::text, 'never: none on record')
                using errcode = 'MS412',
                      hint = 'Record the renewed certification (peer_mentors.certification_expires_at) first.';
        end if;

        -- The system path tells the truth: an expired certification is claimed only for one that has expired.
        if p_reason = 'certification_expired' and not coalesce(v_certification_expires_at <= pg_catalog.now(), false) then
            raise exception 'record_system_status_change: "certification_expired" for a mentor whose certification has not expired (it expires %)',
                    coalesce(v_certification_expires_at::text, 'never: none on record')
                using errcode = 'MS412',
                      hint = 'Pause with certification_expired only once peer_mentors.certification_expires_at is past.';
        end if;
    end if;

    v_changed_at := pg_catalog.clock_timestamp();

    -- The history record first: the statement trigger on peer_mentors checks that the new status has it.
    insert into public.peer_mentor_status_history
        (mentor_id, previous_status, new_status, changed_by, changed_at, reason, job_run_id)
    values
        (p_mentor_id, v_previous_status, p_new_status, null, v_changed_at, p_reason, p_job_run_id)
    returning * into v_history;

    -- Who made it: the job run says, or else the source row (the name given, the role, the application_name).
    if p_job_run_id is null or p_service is not null then
        insert into public.system_status_change_sources (history_id, mentor_id, service, database_role, application_name)
        values (v_history.id, p_mentor_id, p_service,
                coalesce(nullif(pg_catalog.current_setting('role'), 'none'), session_user::text),
                nullif(pg_catalog.current_setting('application_name', true), ''));
    end if;

    update public.peer_mentors
    set status = p_new_status,
        status_changed_at = v_changed_at
    where id = p_mentor_id
      and v_previous_status is not null;

    return v_history;
end;
$function$;
comment on function mentor_status_private.record_system_status_change(uuid,public.mentor_status,text,uuid,text) is
    'The sanctioned path for automated status changes (service_role or the owner only): system reason '
    'codes only, changed_by NULL, job_run_id = the job run; without a job run, '
    'public.system_status_change_sources records who: p_service (the calling service''s name, when '
    'given), the role and application_name. Same locking, transition check and errors as '
    'public.change_mentor_status, and the same rules: certification_renewed resumes only a mentor the '
    'certification job paused, and only while certification_expires_at is in the future; '
    'certification_expired only for a certification that has expired (MS412). Bulk jobs running as the '
    'table owner may instead use one set-based statement with the same rules (and clock_timestamp() for '
    'changed_at).';

create or replace function mentor_status_private.record_system_status_change(
    p_mentor_id uuid,
    p_new_status public.mentor_status,
    p_reason text,
    p_job_run_id uuid
)
    returns public.peer_mentor_status_history
    language sql
    security definer
    set search_path to 'pg_catalog', 'pg_temp'
as $function$
    select mentor_status_private.record_system_status_change(p_mentor_id, p_new_status, p_reason, p_job_run_id, null)
$function$;
comment on function mentor_status_private.record_system_status_change(uuid,public.mentor_status,text,uuid) is
    'The system path without a service name: record_system_status_change(..., p_job_run_id, p_service => '
    'NULL). Without a job run the source row then holds only the role and application_name: services '
    'should pass their name to the five-argument form.';

create or replace function mentor_status_private.change_status_as_user(
    p_mentor_id uuid,
    p_new_status public.mentor_status,
    p_reason text
)
    returns public.peer_mentor_status_history
    language plpgsql
    security definer
    set search_path to 'pg_catalog', 'pg_temp'
as $function$
declare
    c_reason_max_length constant integer := 63; -- the longest code mentor_status_reason_codes accepts
    v_actor uuid;
    v_actor_kind text;
    v_rule_actor text;
    v_own_mentor_id uuid;
    v_coordinated_chapters uuid[];
    v_chapter uuid;
    v_is_self boolean;
    v_is_coordinator boolean;
    v_current_status public.mentor_status;
    v_certification_expires_at timestamptz;
    v_cause text;
    v_requires_valid_certification boolean;
    v_allowed text;
    v_limit integer;
    v_window interval;
    v_recent integer;
    v_coordinator_limit integer;
    v_coordinator_window interval;
    v_next_allowed timestamptz;
    v_changed_at timestamptz;
    v_history public.peer_mentor_status_history;
begin
    -- Arguments, before any lookup.
    if p_mentor_id is null or p_new_status is null or p_reason is null then
        raise exception 'change_mentor_status: mentor id, new status and reason are all required'
            using errcode = 'MS400',
                  hint = 'Pass p_mentor_id, p_new_status (active, paused or inactive) and p_reason (a code of mentor_status_reason_codes).';
    end if;

    if pg_catalog.length(p_reason) > c_reason_max_length then
        raise exception 'change_mentor_status: reason is % characters long; the limit is % characters', pg_catalog.length(p_reason), c_reason_max_length
            using errcode = 'MS413',
                  hint = 'Pass a code of public.mentor_status_reason_codes (lower-case snake case, at most 63 characters); free text is not accepted.';
    end if;

    v_actor := auth.uid();
    if v_actor is null then
        raise exception 'change_mentor_status: no authenticated user'
            using errcode = 'MS401',
                  hint = 'Call it with a user''s JWT. Automated jobs use mentor_status_private.record_system_status_change.';
    end if;

    select rc.actor_kind into v_actor_kind
    from public.mentor_status_reason_codes rc
    where rc.code = p_reason;

    if not found then
        -- Echo the input only when it looks like a code: free text may be exactly the health
        -- information the reason column must never hold, and errors end up in server logs.
        raise exception 'change_mentor_status: unknown reason code %',
            case when p_reason ~ '^[a-z][a-z0-9_]{2,62}$' then '"' || p_reason || '"'
                 else pg_catalog.format('(not a code: %s characters, not repeated here)', pg_catalog.length(p_reason)) end
            using errcode = 'MS422',
                  hint = 'Use one of the codes in public.mentor_status_reason_codes; free text is not accepted.';
    end if;

    -- Who is the caller to this mentor? Looked up from the caller's side only: their own mentor row
    -- (by user_id) and, for each chapter they coordinate, one probe of the membership key
    -- (mentor_id, chapter_id). No statement reads the target mentor's row or its memberships, so a
    -- stranger's call reads the same rows and index pages whether the mentor exists or not (no timing
    -- oracle), and gets the same error. The row is locked only once the caller is known to be entitled.
    -- A soft-deleted mentor answers exactly like a missing one: not the caller's own record either.
    select m.id into v_own_mentor_id
    from public.peer_mentors m
    where m.user_id = v_actor
      and m.deleted_at is null;

    select pg_catalog.array_agg(ca.chapter_id order by ca.chapter_id) into v_coordinated_chapters
    from public.coordinator_assignments ca
    where ca.user_id = v_actor
      and ca.revoked_at is null;

    v_is_self := v_own_mentor_id is not distinct from p_mentor_id;
    v_is_coordinator := false;
    -- One probe of the full primary key per chapter: an absent key costs the same index pages whether
    -- or not the mentor has other memberships. (Not "chapter_id = any (array)": the planner may make the
    -- array a filter and then read the target's membership rows.)
    foreach v_chapter in array coalesce(v_coordinated_chapters, '{}') loop
        if exists (
            select 1
            from public.chapter_memberships cm
            where cm.mentor_id = p_mentor_id
              and cm.chapter_id = v_chapter
        ) then
            v_is_coordinator := true;
            exit;
        end if;
    end loop;

    -- Entitled by a membership: only now is the target's own row read, and a soft-deleted mentor is then
    -- refused before anything else (MS404 first, as for an id that does not exist, never MS403 or MS412).
    if v_is_coordinator and not v_is_self then
        v_is_coordinator := exists (
            select 1
            from public.peer_mentors m
            where m.id = p_mentor_id
              and m.deleted_at is null);
    end if;

    if not (v_is_self or v_is_coordinator) then
        raise exception 'change_mentor_status: mentor % not found', p_mentor_id
            using errcode = 'MS404',
                  hint = 'The mentor does not exist, is deleted, or is neither you nor a mentor of a chapter you coordinate.';
    end if;

    if not ((v_actor_kind = 'mentor' and v_is_self) or (v_actor_kind = 'coordinator' and v_is_coordinator)) then
        raise exception 'change_mentor_status: reason "%" may not be used by you for this mentor', p_reason
            using errcode = 'MS403',
                  detail = pg_catalog.format('The code is for a %s; you are %s.', v_actor_kind,
                                  case when v_is_self and v_is_coordinator then 'this mentor and one of their coordinators'
                                       when v_is_self then 'this mentor'
                                       else 'a coordinator of this mentor' end),
                  hint = 'Mentors use mentor codes (self_pause, self_resume) on themselves; coordinators use '
                         'coordinator codes on mentors of their chapters; system codes belong to jobs.';
    end if;
    v_rule_actor := case v_actor_kind when 'mentor' then 'self' else v_actor_kind end;

    -- A coordinator's changes are limited too (public.mentor_status_settings: coordinator_change_limit per
    -- coordinator_change_window), so a stolen session cannot write thousands of permanent history rows. One
    -- coordinator's changes take turns (a transaction-level advisory lock on the user, taken before the mentor
    -- row so that two of their sessions cannot both take the last place, nor deadlock on two mentors).
    if v_rule_actor = 'coordinator' then
        select s.coordinator_change_limit, s.coordinator_change_window into v_coordinator_limit, v_coordinator_window
        from public.mentor_status_settings s;

        if found then
            perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('mentor_status.coordinator_change_limit'),
                                                     pg_catalog.hashtext(v_actor::pg_catalog.text));
        end if;
    end if;

    -- Serialise changes of one mentor: the history chain stays consistent (previous_status of
    -- each record = new_status of the one before), no update is lost, and the rate limit below
    -- counts every change that committed before this one.
    select m.status, m.certification_expires_at into v_current_status, v_certification_expires_at
    from public.peer_mentors m
    where m.id = p_mentor_id
      and m.deleted_at is null
    for update;

    if not found then
        raise exception 'change_mentor_status: mentor % not found', p_mentor_id
            using errcode = 'MS404',
                  hint = 'The mentor does not exist, is deleted, or is neither you nor a mentor of a chapter you coordinate.';
    end if;

    -- A mentor's own changes are rate-limited: count their records in the window, reading at most the
    -- limit (the timeline index, newest first).
    if v_rule_actor = 'self' then
        select s.self_change_limit, s.self_change_window into v_limit, v_window
        from public.mentor_status_settings s;

        if found then
            select pg_catalog.count(*)::integer, pg_catalog.min(r.changed_at) into v_recent, v_next_allowed
            from (
                select h.changed_at
                from public.peer_mentor_status_history h
                where h.mentor_id = p_mentor_id
                  and h.changed_at > pg_catalog.clock_timestamp() - v_window
                  and h.changed_by = v_actor
                order by h.changed_at desc
                limit v_limit
            ) r;

            if v_recent >= v_limit then
                -- Everything a person acts on is in the message: clients (Npgsql by default) may drop the detail.
                raise exception 'change_mentor_status: you have changed your own status % times in the last %; the limit is %; %',
                        v_recent,
                        case when extract(epoch from v_window) % 3600 = 0
                             then (extract(epoch from v_window) / 3600)::bigint::text || ' hours'
                             else v_window::text end,
                        v_limit,
                        case when v_next_allowed is null then 'changing your own status is switched off'
                             else pg_catalog.format('your next change is possible after %s', v_next_allowed + v_window) end
                    using errcode = 'MS429',
                          hint = 'Try again later, or ask a coordinator of your chapter (public.mentor_status_settings sets the limit).';
            end if;
        end if;
    end if;

    -- A coordinator's changes: every change this user made in the window, whichever mentor, reading at most
    -- the limit from the (changed_by, changed_at desc) index: the cost does not grow with their history.
    if v_coordinator_limit is not null then
        select pg_catalog.count(*)::integer, pg_catalog.min(r.changed_at) into v_recent, v_next_allowed
        from (
            select h.changed_at
            from public.peer_mentor_status_history h
            where h.changed_by = v_actor
              and h.changed_at > pg_catalog.clock_timestamp() - v_coordinator_window
            order by h.changed_at desc
            limit v_coordinator_limit
        ) r;

        if v_recent >= v_coordinator_limit then
            raise exception 'change_mentor_status: you have made % status changes in the last %; the limit for coordinators is %; %',
                    v_recent,
                    case when extract(epoch from v_coordinator_window) % 3600 = 0
                         then (extract(epoch from v_coordinator_window) / 3600)::bigint::text
                              || case when extract(epoch from v_coordinator_window) = 3600 then ' hour' else ' hours' end
                         else v_coordinator_window::text end,
                    v_coordinator_limit,
                    case when v_next_allowed is null then 'status changes by coordinators are switched off'
                         else pg_catalog.format('your next change is possible after %s', v_next_allowed + v_coordinator_window) end
                using errcode = 'MS429',
                      hint = 'Try again later, or ask another coordinator (public.mentor_status_settings sets the limit).';
        end if;
    end if;

    if not exists (
        select 1
        from public.mentor_status_transitions t
        where t.reason_code = p_reason
          and t.from_status = v_current_status
          and t.to_status = p_new_status
    ) then
        raise exception 'change_mentor_status: reason "%" does not allow % -> %', p_reason, v_current_status, p_new_status
            using errcode = 'MS409',
                  hint = 'See public.mentor_status_transitions for the changes each reason code allows.';
    end if;

    -- Who paused decides who may resume: the rules for the current status and cause of the pause.
    v_cause := mentor_status_private.pause_cause(p_mentor_id, v_current_status);

    -- Coordinator codes are for other people's records: on their own mentor record a coordinator is the
    -- mentor (mentor codes), and another coordinator of one of their chapters decides the rest (resuming out
    -- of a coordinator's pause, overriding their own expired certification).
    if v_rule_actor = 'coordinator' and v_is_self then
        select pg_catalog.string_agg(pg_catalog.format('%s (%s)',
                   case r.actor when 'self' then 'you as the mentor'
                                when 'coordinator' then 'another coordinator of one of your chapters'
                                else 'the system' || case when r.requires_valid_certification then ', with a certification that expires in the future' else '' end end,
                   r.reason_code), '; ' order by r.actor, r.reason_code)
          into v_allowed
        from public.mentor_status_rules r
        where r.from_status = v_current_status
          and r.pause_cause is not distinct from v_cause
          and r.to_status = p_new_status;

        raise exception 'change_mentor_status: "%" is a coordinator code and this is your own mentor record: a coordinator may not apply coordinator codes to themself; who may make you %: %',
                p_reason, p_new_status, coalesce(v_allowed, 'nobody')
            using errcode = 'MS412',
                  hint = 'Ask another coordinator of one of your chapters, or call public.allowed_status_changes(mentor_id) for what you may do now.';
    end if;

    select r.requires_valid_certification into v_requires_valid_certification
    from public.mentor_status_rules r
    where r.reason_code = p_reason
      and r.from_status = v_current_status
      and r.pause_cause is not distinct from v_cause
      and r.to_status = p_new_status
      and r.actor = v_rule_actor;

    if not found then
        select pg_catalog.string_agg(pg_catalog.format('%s (%s)',
                   case r.actor when 'self' then 'the mentor themself'
                                when 'coordinator' then 'a coordinator of one of the mentor''s chapters'
                                else 'the system' || case when r.requires_valid_certification then ', with a certification that expires in the future' else '' end end,
                   r.reason_code), '; ' order by r.actor, r.reason_code)
          into v_allowed
        from public.mentor_status_rules r
        where r.from_status = v_current_status
          and r.pause_cause is not distinct from v_cause
          and r.to_status = p_new_status;

        -- Who may do it instead goes in the message itself: clients (Npgsql by default) may drop the detail.
        raise exception 'change_mentor_status: "%" by % is not allowed for a mentor %; who may make them %: %',
                p_reason,
                case v_rule_actor when 'self' then 'the mentor' else 'a coordinator' end,
                case when v_cause is null then 'who is ' || v_current_status::text
                     else 'paused by ' || v_cause end,
                p_new_status, coalesce(v_allowed, 'nobody')
            using errcode = 'MS412',
                  hint = 'See public.mentor_status_rules, or call public.allowed_status_changes(mentor_id) for what you may do now.';
    end if;

    if v_requires_valid_certification and not coalesce(v_certification_expires_at > pg_catalog.now(), false) then
        raise exception 'change_mentor_status: "%" needs a certification that expires in the future', p_reason
            using errcode = 'MS412',
                  hint = 'Record the renewed certification (peer_mentors.certification_expires_at) first.';
    end if;

    -- clock_timestamp(), not now(): taken after the lock, so records of one mentor are ordered by
    -- changed_at in the order they were made, even across simultaneous transactions. The history
    -- record goes first: the statement trigger on peer_mentors checks that the new status has it.
    v_changed_at := pg_catalog.clock_timestamp();

    insert into public.peer_mentor_status_history
        (mentor_id, previous_status, new_status, changed_by, changed_at, reason, job_run_id)
    values
        (p_mentor_id, v_current_status, p_new_status, v_actor, v_changed_at, p_reason, null)
    returning * into v_history;

    update public.peer_mentors
    set status = p_new_status,
        status_changed_at = v_changed_at
    where id = p_mentor_id;

    return v_history;
end;
$function$;
comment on function mentor_status_private.change_status_as_user(uuid,public.mentor_status,text) is
    'The body of public.change_mentor_status (security definer, not exposed): checks the arguments '
    'before any lookup, the caller (from their own side: a stranger costs the same whether the mentor '
    'exists or not; a soft-deleted mentor is not found), the code, the rate limits (a mentor''s own '
    'changes, a coordinator''s changes), the transition, coordinator codes on one''s own record '
    '(refused) and public.mentor_status_rules for the cause of the pause; then appends the history '
    'record (changed_by = auth.uid()) and updates peer_mentors. Errors: MS400, MS401, MS403, MS404, '
    'MS409, MS412, MS413, MS422, MS429.';
