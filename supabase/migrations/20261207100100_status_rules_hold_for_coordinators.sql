-- requires: 20261207100000
-- Status rules that hold for coordinators too, and a soft-deleted mentor that answers like a missing one.
--
--   * Coordinator codes on one's own mentor record are refused (MS412, the message names who may do it
--     instead: the mentor's own codes, or another coordinator of one of their chapters). A coordinator who is
--     also a peer mentor could otherwise resume themself out of another coordinator's pause or override their
--     own expired certification. public.allowed_status_changes offers them only their mentor codes.
--   * Coordinators' changes are limited per coordinator: public.mentor_status_settings.coordinator_change_limit
--     per coordinator_change_window (default 100 per hour), counted from the history on the
--     (changed_by, changed_at desc) index of 20261207100000 (MS429, saying when the next is possible), so a
--     stolen session cannot write thousands of permanent history rows. allowed_status_changes offers no
--     coordinator code over the limit.
--   * A soft-deleted mentor answers exactly like one that does not exist: change_mentor_status says MS404
--     before any other check (before: a coordinator code on a deleted mentor said MS403), and
--     mentor_status_private.is_coordinator_of_mentor is false for a deleted mentor (before: true).
--
-- Tests: supabase/tests/070_coordinator_own_record.sql, 071_coordinator_change_limit.sql,
-- 073_soft_deleted_answers_as_missing.sql.

set lock_timeout = '5s';

-- Is the caller a coordinator of this mentor? Never of a soft-deleted one ----------------------------------
create or replace function mentor_status_private.is_coordinator_of_mentor(p_mentor_id uuid)
returns boolean
language sql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
    select exists (
        select 1
        from public.chapter_memberships cm
        join public.coordinator_assignments ca on ca.chapter_id = cm.chapter_id
        join public.peer_mentors m on m.id = cm.mentor_id
        where cm.mentor_id = p_mentor_id
          and ca.user_id = auth.uid()
          and ca.revoked_at is null
          and m.deleted_at is null
    )
$$;

comment on function mentor_status_private.is_coordinator_of_mentor(uuid) is
    'True when the current user actively coordinates at least one chapter the mentor belongs to and the mentor '
    'is not soft-deleted (a deleted mentor answers like a missing one). Per-row check: in policies prefer '
    '"mentor_id = any (array(select coordinated_mentor_ids()))".';

-- Has the current user reached the coordinators' change limit? -----------------------------------------------
create function mentor_status_private.coordinator_change_limit_reached()
returns boolean
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
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
$$;

comment on function mentor_status_private.coordinator_change_limit_reached() is
    'True when the current user (auth.uid()) made coordinator_change_limit or more status changes within '
    'coordinator_change_window (public.mentor_status_settings): change_mentor_status would refuse their next '
    'coordinator change (MS429). Used by public.allowed_status_changes.';

revoke all on function mentor_status_private.coordinator_change_limit_reached() from public, anon, authenticated, service_role;
grant execute on function mentor_status_private.coordinator_change_limit_reached() to authenticated;

-- The user path -------------------------------------------------------------------------------------------
create or replace function mentor_status_private.change_status_as_user(
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
$$;


comment on function mentor_status_private.change_status_as_user(uuid, public.mentor_status, text) is
    'The body of public.change_mentor_status (security definer, not exposed): checks the arguments before any '
    'lookup, the caller (from their own side: a stranger costs the same whether the mentor exists or not; a '
    'soft-deleted mentor is not found), the code, the rate limits (a mentor''s own changes, a coordinator''s '
    'changes), the transition, coordinator codes on one''s own record (refused) and public.mentor_status_rules '
    'for the cause of the pause; then appends the history record (changed_by = auth.uid()) and updates '
    'peer_mentors. Errors: MS400, MS401, MS403, MS404, MS409, MS412, MS413, MS422, MS429.';

-- What may I do? ------------------------------------------------------------------------------------------
create or replace function public.allowed_status_changes(p_mentor_id uuid)
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
       -- coordinator codes: never on one's own record, never over the coordinators' change limit
       or (r.actor = 'coordinator' and m.is_coordinator and not m.is_self
           and not mentor_status_private.coordinator_change_limit_reached())
    order by r.reason_code, r.to_status
$$;

comment on function public.allowed_status_changes(uuid) is
    'The status changes the signed-in caller may make to this mentor now (rpc, for the UI to offer only '
    'these): the rules of public.mentor_status_rules for the mentor''s status and cause of pause, for a mentor '
    'the caller is (unless over the self-change limit) or coordinates (never their own record; not over the '
    'coordinators'' change limit). No row for a mentor the caller may not see, that is soft-deleted or that '
    'does not exist. public.change_mentor_status enforces the same rules.';

-- The coordinators' limit, in data ------------------------------------------------------------------------
-- Last in the file: the ACCESS EXCLUSIVE lock of the one-row settings table is held for no other statement.
-- Constant defaults: no rewrite.
-- lint: ignore MS004 because the settings table has exactly one row (its key is the constant true): checking the new columns' CHECKs reads that one row
alter table public.mentor_status_settings
    add column coordinator_change_limit integer not null default 100 check (coordinator_change_limit >= 0),
    add column coordinator_change_window interval not null default interval '1 hour' check (coordinator_change_window > interval '0');

comment on column public.mentor_status_settings.coordinator_change_limit is
    'How many status changes one coordinator may make within coordinator_change_window, whichever mentors '
    '(counted from the history: changed_by = the coordinator). Over it public.change_mentor_status refuses '
    'coordinator codes with SQLSTATE MS429. 0 switches coordinators'' changes off.';
comment on column public.mentor_status_settings.coordinator_change_window is
    'The sliding window of coordinator_change_limit.';
comment on column public.mentor_status_settings.self_change_limit is
    'How many changes a mentor may make to their own status within self_change_window (counted from the '
    'history: changed_by = the mentor''s user, mentor_id = their own). Coordinators have their own limit '
    '(coordinator_change_limit); the system is not limited. Over the limit public.change_mentor_status refuses '
    'with SQLSTATE MS429.';
