-- Rollback of 20261127100200_issue10_status_changes_follow_the_rules.sql.
-- Puts back the task-003 definitions of the two status functions (the rpc security definer in public
-- again, neither bound by the rules) and drops the helper and allowed_status_changes.
drop function public.allowed_status_changes(uuid);

create or replace function public.change_mentor_status(
    p_mentor_id uuid,
    p_new_status public.mentor_status,
    p_reason text
)
returns public.peer_mentor_status_history
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_actor uuid := auth.uid();
    v_actor_kind text;
    v_is_self boolean;
    v_is_coordinator boolean;
    v_current_status public.mentor_status;
    v_changed_at timestamptz;
    v_history public.peer_mentor_status_history;
begin
    if p_mentor_id is null or p_new_status is null or p_reason is null then
        raise exception 'change_mentor_status: mentor id, new status and reason are all required'
            using errcode = 'MS400',
                  hint = 'Pass p_mentor_id, p_new_status (active, paused or inactive) and p_reason (a code of mentor_status_reason_codes).';
    end if;

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
                 else format('(not a code: %s characters, not repeated here)', length(p_reason)) end
            using errcode = 'MS422',
                  hint = 'Use one of the codes in public.mentor_status_reason_codes; free text is not accepted.';
    end if;

    -- Who is the caller to this mentor? Checked before locking, so that a stranger cannot block
    -- the row. A stranger gets the same error whether the mentor exists or not.
    select m.user_id is not distinct from v_actor,
           mentor_status_private.is_coordinator_of_mentor(m.id)
      into v_is_self, v_is_coordinator
    from public.peer_mentors m
    where m.id = p_mentor_id
      and m.deleted_at is null;

    if not found or not (v_is_self or v_is_coordinator) then
        raise exception 'change_mentor_status: mentor % not found', p_mentor_id
            using errcode = 'MS404',
                  hint = 'The mentor does not exist, is deleted, or is neither you nor a mentor of a chapter you coordinate.';
    end if;

    if not ((v_actor_kind = 'mentor' and v_is_self) or (v_actor_kind = 'coordinator' and v_is_coordinator)) then
        raise exception 'change_mentor_status: reason "%" may not be used by you for this mentor', p_reason
            using errcode = 'MS403',
                  detail = format('The code is for a %s; you are %s.', v_actor_kind,
                                  case when v_is_self and v_is_coordinator then 'this mentor and one of their coordinators'
                                       when v_is_self then 'this mentor'
                                       else 'a coordinator of this mentor' end),
                  hint = 'Mentors use mentor codes (self_pause, self_resume) on themselves; coordinators use '
                         'coordinator codes on mentors of their chapters; system codes belong to jobs.';
    end if;

    -- Serialise changes of one mentor: the history chain stays consistent (previous_status of
    -- each record = new_status of the one before) and no update is lost.
    select m.status into v_current_status
    from public.peer_mentors m
    where m.id = p_mentor_id
      and m.deleted_at is null
    for update;

    if not found then
        raise exception 'change_mentor_status: mentor % not found', p_mentor_id
            using errcode = 'MS404',
                  hint = 'The mentor was deleted meanwhile.';
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

    -- clock_timestamp(), not now(): taken after the lock, so records of one mentor are ordered by
    -- changed_at in the order they were made, even across simultaneous transactions.
    v_changed_at := clock_timestamp();

    update public.peer_mentors
    set status = p_new_status,
        status_changed_at = v_changed_at
    where id = p_mentor_id;

    insert into public.peer_mentor_status_history
        (mentor_id, previous_status, new_status, changed_by, changed_at, reason, job_run_id)
    values
        (p_mentor_id, v_current_status, p_new_status, v_actor, v_changed_at, p_reason, null)
    returning * into v_history;

    return v_history;
end;
$$;

comment on function public.change_mentor_status(uuid, public.mentor_status, text) is
    'The one way for a user (PostgREST rpc, authenticated) to change a mentor''s status: checks the '
    'caller (a mentor with mentor codes on themself, a coordinator with coordinator codes on mentors '
    'of their chapters), locks the mentor row, checks public.mentor_status_transitions, updates '
    'peer_mentors and appends the history record (changed_by = auth.uid()), which it returns. '
    'Errors: MS400 null argument, MS401 no user, MS403 reason not yours, MS404 mentor not found or '
    'not yours, MS409 transition not allowed, MS422 unknown reason. SECURITY DEFINER in public by '
    'design (it is the rpc entry point); search_path is empty.';

create or replace function mentor_status_private.record_system_status_change(
    p_mentor_id uuid,
    p_new_status public.mentor_status,
    p_reason text,
    p_job_run_id uuid
)
returns public.peer_mentor_status_history
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_actor_kind text;
    v_current_status public.mentor_status;
    v_previous_status public.mentor_status;
    v_changed_at timestamptz;
    v_history public.peer_mentor_status_history;
begin
    if p_mentor_id is null or p_new_status is null or p_reason is null then
        raise exception 'record_system_status_change: mentor id, new status and reason are all required'
            using errcode = 'MS400',
                  hint = 'Pass p_mentor_id, p_new_status and p_reason (a system code of mentor_status_reason_codes).';
    end if;

    select rc.actor_kind into v_actor_kind
    from public.mentor_status_reason_codes rc
    where rc.code = p_reason;

    if not found then
        -- Echo the input only when it looks like a code: free text may be exactly the health
        -- information the reason column must never hold, and errors end up in server logs.
        raise exception 'record_system_status_change: unknown reason code %',
            case when p_reason ~ '^[a-z][a-z0-9_]{2,62}$' then '"' || p_reason || '"'
                 else format('(not a code: %s characters, not repeated here)', length(p_reason)) end
            using errcode = 'MS422',
                  hint = 'Use one of the codes in public.mentor_status_reason_codes; free text is not accepted.';
    end if;

    if v_actor_kind <> 'system' then
        raise exception 'record_system_status_change: reason "%" is a % code, not a system code', p_reason, v_actor_kind
            using errcode = 'MS403',
                  hint = 'People change statuses through public.change_mentor_status.';
    end if;

    select m.status into v_current_status
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
        -- has (it does not change it).
        if p_new_status <> v_current_status
           or exists (select 1 from public.peer_mentor_status_history h where h.mentor_id = p_mentor_id) then
            raise exception 'record_system_status_change: initial_status must be the first record and equal the current status (%)', v_current_status
                using errcode = 'MS409',
                      hint = 'Write initial_status once, right after the mentor is created.';
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

    v_changed_at := clock_timestamp();

    update public.peer_mentors
    set status = p_new_status,
        status_changed_at = v_changed_at
    where id = p_mentor_id
      and v_previous_status is not null;

    insert into public.peer_mentor_status_history
        (mentor_id, previous_status, new_status, changed_by, changed_at, reason, job_run_id)
    values
        (p_mentor_id, v_previous_status, p_new_status, null, v_changed_at, p_reason, p_job_run_id)
    returning * into v_history;

    return v_history;
end;
$$;

comment on function mentor_status_private.record_system_status_change(uuid, public.mentor_status, text, uuid) is
    'The sanctioned path for automated status changes (service_role or the owner only): system '
    'reason codes only, changed_by NULL, job_run_id = the job run (NULL only for records no job made, '
    'e.g. initial_status when a mentor is created). Same locking, transition check and errors as '
    'public.change_mentor_status. Bulk jobs running as the table owner may instead use one '
    'set-based statement with the same rules (and clock_timestamp() for changed_at).';

drop function mentor_status_private.change_status_as_user(uuid, public.mentor_status, text);
