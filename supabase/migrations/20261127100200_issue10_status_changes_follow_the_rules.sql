-- requires: 20261127100100
-- issue 10, parts 1, 6 and 7 (the rpc): the status functions follow public.mentor_status_rules, answer a
-- stranger exactly like a missing mentor, bound their input, rate-limit a mentor's own changes, and the
-- rpc in the exposed schema is no longer security definer.
--
--   public.change_mentor_status(p_mentor_id, p_new_status, p_reason)
--       Same name, arguments and result for clients; now SECURITY INVOKER, calling the definer helper
--       mentor_status_private.change_status_as_user (the pattern Supabase recommends: nothing in an
--       exposed schema runs with its owner's rights).
--   mentor_status_private.record_system_status_change(...)
--       The system path, now also bound by the rules (certification_renewed resumes only a certification
--       pause, and only with a certification that expires in the future).
--   public.allowed_status_changes(p_mentor_id)
--       What the signed-in caller may do to this mentor now (for the UI); empty for a mentor they may not
--       see, exactly as for one that does not exist.
--
-- Order of the checks in change_status_as_user (each refusal writes nothing):
--   MS400 a NULL argument; MS413 a text argument over its limit (before any lookup); MS401 no user;
--   MS422 unknown reason code; MS404 not the caller's own mentor and not a mentor of a chapter the caller
--   coordinates: decided from the caller's side only (their own mentor row, their chapters' memberships
--   of this id), so a mentor that exists costs exactly what a missing one costs; MS403 the code is not
--   for this caller; (lock) MS404 soft-deleted; MS429 over the self-change limit; MS409 the code does not
--   lead from the current status to the new one; MS412 the rules for the cause of the pause do not let
--   this caller do it.
--
-- Errors (next to MS100/MS101 of the history and MS400-MS422 of task-003):
--   MS412  refused by public.mentor_status_rules: the message names who may do it instead
--   MS413  a text argument is longer than its limit (the reason: 63 characters, the longest code)
--   MS429  a mentor changed their own status too often (public.mentor_status_settings)

-- The user path: security definer, private ---------------------------------------------------------------
create function mentor_status_private.change_status_as_user(
    p_mentor_id uuid,
    p_new_status public.mentor_status,
    p_reason text
)
returns public.peer_mentor_status_history
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
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
    select m.id into v_own_mentor_id
    from public.peer_mentors m
    where m.user_id = v_actor;

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

    -- A mentor's own changes are rate-limited (coordinators and the system are not): count their
    -- records in the window, reading at most the limit (the timeline index, newest first).
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
$$;

comment on function mentor_status_private.change_status_as_user(uuid, public.mentor_status, text) is
    'The body of public.change_mentor_status (security definer, not exposed): checks the arguments before any '
    'lookup, the caller (from their own side: a stranger costs the same whether the mentor exists or not), '
    'the code, the self-change rate limit, the transition and public.mentor_status_rules for the cause of the '
    'pause; then appends the history record (changed_by = auth.uid()) and updates peer_mentors. '
    'Errors: MS400, MS401, MS403, MS404, MS409, MS412, MS413, MS422, MS429 (see the migration header).';

revoke all on function mentor_status_private.change_status_as_user(uuid, public.mentor_status, text) from public, anon, authenticated, service_role;
grant execute on function mentor_status_private.change_status_as_user(uuid, public.mentor_status, text) to authenticated;

-- The rpc: same name, arguments and result; security invoker now ------------------------------------------
create or replace function public.change_mentor_status(
    p_mentor_id uuid,
    p_new_status public.mentor_status,
    p_reason text
)
returns public.peer_mentor_status_history
language sql
volatile
security invoker
set search_path = pg_catalog, pg_temp
as $$
    select mentor_status_private.change_status_as_user(p_mentor_id, p_new_status, p_reason)
$$;

comment on function public.change_mentor_status(uuid, public.mentor_status, text) is
    'The one way for a user (PostgREST rpc, authenticated) to change a mentor''s status. Security invoker: '
    'the work is done by mentor_status_private.change_status_as_user, which checks the caller (a mentor with '
    'mentor codes on themself, a coordinator with coordinator codes on mentors of their chapters), the rate '
    'limit, the transition and public.mentor_status_rules, then appends the history record (changed_by = '
    'auth.uid()), which it returns, and updates peer_mentors. Errors: MS400 null argument, MS401 no user, '
    'MS403 reason not yours, MS404 mentor not found or not yours, MS409 transition not allowed, MS412 refused '
    'by the rules for the cause of the pause, MS413 argument too long, MS422 unknown reason, MS429 too many '
    'own changes.';

-- create or replace keeps the existing grants: execute for authenticated only.

-- The system path: the same rules ---------------------------------------------------------------------------
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
set search_path = pg_catalog, pg_temp
as $$
declare
    c_reason_max_length constant integer := 63;
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
    end if;

    v_changed_at := pg_catalog.clock_timestamp();

    -- The history record first: the statement trigger on peer_mentors checks that the new status has it.
    insert into public.peer_mentor_status_history
        (mentor_id, previous_status, new_status, changed_by, changed_at, reason, job_run_id)
    values
        (p_mentor_id, v_previous_status, p_new_status, null, v_changed_at, p_reason, p_job_run_id)
    returning * into v_history;

    update public.peer_mentors
    set status = p_new_status,
        status_changed_at = v_changed_at
    where id = p_mentor_id
      and v_previous_status is not null;

    return v_history;
end;
$$;

comment on function mentor_status_private.record_system_status_change(uuid, public.mentor_status, text, uuid) is
    'The sanctioned path for automated status changes (service_role or the owner only): system '
    'reason codes only, changed_by NULL, job_run_id = the job run (NULL only for records no job made). '
    'Same locking, transition check and errors as public.change_mentor_status, and the same rules: '
    'certification_renewed resumes only a mentor the certification job paused, and only while '
    'certification_expires_at is in the future (MS412). Bulk jobs running as the table owner may instead use '
    'one set-based statement with the same rules (and clock_timestamp() for changed_at).';

-- What may I do? ---------------------------------------------------------------------------------------------
create function public.allowed_status_changes(p_mentor_id uuid)
returns table (reason_code text, new_status public.mentor_status, description text)
language sql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $$
    -- Security invoker: row-level security decides which mentor (and which of their history) the caller
    -- sees; a mentor they may not see gives no row, exactly like one that does not exist.
    with mentor as (
        select m.id,
               m.status,
               m.user_id = (select auth.uid()) as is_self,
               mentor_status_private.is_coordinator_of_mentor(m.id) as is_coordinator,
               mentor_status_private.pause_cause(m.id, m.status) as cause
        from public.peer_mentors m
        where m.id = p_mentor_id
          and m.deleted_at is null
    ),
    self_limited as (
        -- over the self-change limit: the mentor's own codes are not offered (no settings row: no limit)
        select coalesce((
            select (select pg_catalog.count(*)
                    from public.peer_mentor_status_history h
                    where h.mentor_id = p_mentor_id
                      and h.changed_at > pg_catalog.clock_timestamp() - s.self_change_window
                      and h.changed_by = (select auth.uid())) >= s.self_change_limit
            from public.mentor_status_settings s
        ), false) as limited
    )
    select r.reason_code, r.to_status, rc.description
    from mentor m
    join public.mentor_status_rules r
      on r.from_status = m.status
     and r.pause_cause is not distinct from m.cause
    join public.mentor_status_reason_codes rc on rc.code = r.reason_code
    cross join self_limited l
    where (r.actor = 'self' and m.is_self and not l.limited)
       or (r.actor = 'coordinator' and m.is_coordinator)
    order by r.reason_code, r.to_status
$$;

comment on function public.allowed_status_changes(uuid) is
    'The status changes the signed-in caller may make to this mentor now (rpc, for the UI to offer only '
    'these): the rules of public.mentor_status_rules for the mentor''s status and cause of pause, for a mentor '
    'the caller is (unless over the self-change limit) or coordinates. No row for a mentor the caller may not '
    'see or that does not exist. public.change_mentor_status enforces the same rules.';

revoke all on function public.allowed_status_changes(uuid) from public, anon, authenticated, service_role;
grant execute on function public.allowed_status_changes(uuid) to authenticated;
