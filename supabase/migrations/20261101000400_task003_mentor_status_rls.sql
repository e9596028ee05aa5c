-- requires: 20261101000300
-- task-003: row-level security for mentor status, and one safe way to change a status.
--
-- Reads (policies, all "to authenticated"; anon gets no policy and so reads nothing;
-- service_role bypasses RLS and keeps full read access):
--   * a mentor reads their own peer_mentors row, memberships and history;
--   * a coordinator reads the mentors, memberships and history of every chapter they actively
--     coordinate (coordinator_assignments.revoked_at is null), including a mentor who is also in
--     chapters they do not coordinate; nothing of other chapters.
-- Writes: none through the tables. Status changes go through
--   public.change_mentor_status(p_mentor_id, p_new_status, p_reason)          -- users, via rpc
--   mentor_status_private.record_system_status_change(..., p_job_run_id)       -- jobs (service_role)
-- Both lock the mentor row, check the transition against public.mentor_status_transitions,
-- update peer_mentors and append the history row in the caller's transaction.
--
-- Errors raised by both functions (SQLSTATE class MS is not used by PostgreSQL):
--   MS400  a required argument is NULL (mentor id, new status or reason)
--   MS401  no authenticated user: auth.uid() is NULL (change_mentor_status only)
--   MS403  the caller may see the mentor but may not use this reason code (a coordinator code
--          used by a mentor, a mentor code used by a coordinator on someone else, a system code
--          through the rpc, a non-system code through the system path)
--   MS404  mentor not found, soft-deleted, or not visible to the caller; one error for all three
--          on purpose, so that the existence of a mentor is not leaked to strangers
--   MS409  transition not allowed: the reason code does not lead from the mentor's current
--          status to the requested one (also a "change" to the status the mentor already has)
--   MS422  unknown reason code (not in public.mentor_status_reason_codes)
-- From task-002: MS100 append-only violation on peer_mentor_status_history.
-- From PostgreSQL: 42501 permission denied (e.g. anon or service_role calling the rpc, or any
-- API role writing the history table directly).

-- Private schema for the helpers the policies call. PostgREST does not expose it (it is not in
-- config.toml [api] schemas), and only the roles that need it may use it.
create schema mentor_status_private;

comment on schema mentor_status_private is
    'Security definer helpers for the mentor-status row-level security policies and the system path '
    'for status changes. Never add it to the schemas PostgREST exposes.';

revoke all on schema mentor_status_private from public;
grant usage on schema mentor_status_private to authenticated, service_role;

-- Allowed transitions ------------------------------------------------------------------------------
create table public.mentor_status_transitions (
    reason_code text not null references public.mentor_status_reason_codes (code),
    from_status public.mentor_status null,
    to_status public.mentor_status not null,
    constraint mentor_status_transitions_key unique nulls not distinct (reason_code, from_status, to_status),
    constraint mentor_status_transitions_changes_status check (from_status is distinct from to_status)
);

comment on table public.mentor_status_transitions is
    'Which status changes each reason code allows. public.change_mentor_status and '
    'mentor_status_private.record_system_status_change refuse any other change (SQLSTATE MS409).';
comment on column public.mentor_status_transitions.reason_code is
    'The reason code the change is made with; its actor_kind says who may use it.';
comment on column public.mentor_status_transitions.to_status is
    'Status the mentor gets.';
comment on column public.mentor_status_transitions.from_status is
    'Status the mentor must have now. NULL only for initial_status: the first history record of a '
    'mentor, which has no previous status.';

insert into public.mentor_status_transitions (reason_code, from_status, to_status) values
    ('self_pause', 'active', 'paused'),
    ('self_resume', 'paused', 'active'),
    ('coordinator_manual_pause', 'active', 'paused'),
    ('coordinator_resume', 'paused', 'active'),
    ('coordinator_deactivate', 'active', 'inactive'),
    ('coordinator_deactivate', 'paused', 'inactive'),
    ('coordinator_reactivate', 'inactive', 'active'),
    ('certification_expired', 'active', 'paused'),
    ('certification_renewed', 'paused', 'active'),
    ('initial_status', null, 'active'),
    ('initial_status', null, 'paused'),
    ('initial_status', null, 'inactive');

alter table public.mentor_status_transitions enable row level security;

-- Helpers (security definer: they read the membership tables past RLS, which also keeps the
-- policies from recursing; search_path is empty so every name is schema-qualified) ----------------

-- The set helpers are PL/pgSQL on purpose: a security definer SQL function is never inlined and is
-- planned again in every statement that calls it (about 1 ms per timeline query in BENCHMARKS.md);
-- PL/pgSQL keeps its plan for the session.
create function mentor_status_private.coordinated_chapter_ids()
returns setof uuid
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
    return query
        select ca.chapter_id
        from public.coordinator_assignments ca
        where ca.user_id = auth.uid()
          and ca.revoked_at is null;
end;
$$;

comment on function mentor_status_private.coordinated_chapter_ids() is
    'Chapters the current user (auth.uid()) actively coordinates. Empty for anyone else. '
    'Used by row-level security policies as "chapter_id in (select ...)".';

create function mentor_status_private.coordinated_mentor_ids()
returns setof uuid
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
    return query
        select distinct cm.mentor_id
        from public.chapter_memberships cm
        join public.coordinator_assignments ca on ca.chapter_id = cm.chapter_id
        where ca.user_id = auth.uid()
          and ca.revoked_at is null;
end;
$$;

comment on function mentor_status_private.coordinated_mentor_ids() is
    'Mentors who are members of at least one chapter the current user actively coordinates '
    '(whatever other chapters they are also in). Used by row-level security policies.';

create function mentor_status_private.own_mentor_ids()
returns setof uuid
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
    return query
        select m.id
        from public.peer_mentors m
        where m.user_id = auth.uid();
end;
$$;

comment on function mentor_status_private.own_mentor_ids() is
    'The peer_mentors row of the current user, if they are a mentor (user_id is unique: at most one). '
    'Used by row-level security policies.';

create function mentor_status_private.visible_mentor_ids()
returns setof uuid
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
    return query
        select m.id
        from public.peer_mentors m
        where m.user_id = auth.uid()
        union
        select cm.mentor_id
        from public.chapter_memberships cm
        join public.coordinator_assignments ca on ca.chapter_id = cm.chapter_id
        where ca.user_id = auth.uid()
          and ca.revoked_at is null;
end;
$$;

comment on function mentor_status_private.visible_mentor_ids() is
    'Mentors whose records the current user may read: their own mentor row plus every mentor of a '
    'chapter they actively coordinate. Used by row-level security policies.';

create function mentor_status_private.member_chapter_ids()
returns setof uuid
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
    return query
        select cm.chapter_id
        from public.chapter_memberships cm
        join public.peer_mentors m on m.id = cm.mentor_id
        where m.user_id = auth.uid();
end;
$$;

comment on function mentor_status_private.member_chapter_ids() is
    'Chapters the current user belongs to as a mentor. Used by row-level security policies.';

create function mentor_status_private.visible_organisation_ids()
returns setof uuid
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
    return query
        select m.organisation_id
        from public.peer_mentors m
        where m.user_id = auth.uid()
        union
        select c.organisation_id
        from public.chapters c
        join public.coordinator_assignments ca on ca.chapter_id = c.id
        where ca.user_id = auth.uid()
          and ca.revoked_at is null;
end;
$$;

comment on function mentor_status_private.visible_organisation_ids() is
    'Organisations of the current user''s own mentor row and of the chapters they actively coordinate. '
    'Used by row-level security policies.';

create function mentor_status_private.is_coordinator_of_mentor(p_mentor_id uuid)
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
    select exists (
        select 1
        from public.chapter_memberships cm
        join public.coordinator_assignments ca on ca.chapter_id = cm.chapter_id
        where cm.mentor_id = p_mentor_id
          and ca.user_id = auth.uid()
          and ca.revoked_at is null
    )
$$;

comment on function mentor_status_private.is_coordinator_of_mentor(uuid) is
    'True when the current user actively coordinates at least one chapter the mentor belongs to. '
    'Per-row check: in policies prefer "mentor_id in (select coordinated_mentor_ids())".';

revoke all on function mentor_status_private.coordinated_chapter_ids() from public;
revoke all on function mentor_status_private.coordinated_mentor_ids() from public;
revoke all on function mentor_status_private.own_mentor_ids() from public;
revoke all on function mentor_status_private.visible_mentor_ids() from public;
revoke all on function mentor_status_private.member_chapter_ids() from public;
revoke all on function mentor_status_private.visible_organisation_ids() from public;
revoke all on function mentor_status_private.is_coordinator_of_mentor(uuid) from public;
grant execute on function mentor_status_private.coordinated_chapter_ids() to authenticated;
grant execute on function mentor_status_private.coordinated_mentor_ids() to authenticated;
grant execute on function mentor_status_private.own_mentor_ids() to authenticated;
grant execute on function mentor_status_private.visible_mentor_ids() to authenticated;
grant execute on function mentor_status_private.member_chapter_ids() to authenticated;
grant execute on function mentor_status_private.visible_organisation_ids() to authenticated;
grant execute on function mentor_status_private.is_coordinator_of_mentor(uuid) to authenticated;

-- Read policies ------------------------------------------------------------------------------------
-- auth.uid() is always wrapped as (select auth.uid()) and the helpers as "in (select ...)", so
-- each is evaluated once per statement, not once per row. Every filtered column is indexed:
-- peer_mentors.user_id (unique), chapter_memberships (mentor_id, chapter_id) pk + chapter_id,
-- coordinator_assignments (user_id, chapter_id) pk + chapter_id, history (mentor_id, changed_at).

create policy organisations_select_visible on public.organisations
    for select to authenticated
    using (id in (select mentor_status_private.visible_organisation_ids()));

create policy chapters_select_member_or_coordinated on public.chapters
    for select to authenticated
    using (
        id in (select mentor_status_private.coordinated_chapter_ids())
        or id in (select mentor_status_private.member_chapter_ids())
    );

create policy peer_mentors_select_self_or_coordinated on public.peer_mentors
    for select to authenticated
    using (
        user_id = (select auth.uid())
        or id in (select mentor_status_private.coordinated_mentor_ids())
    );

create policy chapter_memberships_select_own_or_coordinated on public.chapter_memberships
    for select to authenticated
    using (
        mentor_id in (select mentor_status_private.own_mentor_ids())
        or chapter_id in (select mentor_status_private.coordinated_chapter_ids())
    );

create policy coordinator_assignments_select_own_or_co_coordinator on public.coordinator_assignments
    for select to authenticated
    using (
        user_id = (select auth.uid())
        or chapter_id in (select mentor_status_private.coordinated_chapter_ids())
    );

create policy peer_mentor_status_history_select_visible on public.peer_mentor_status_history
    for select to authenticated
    using (mentor_id in (select mentor_status_private.visible_mentor_ids()));

create policy mentor_status_reason_codes_select_all on public.mentor_status_reason_codes
    for select to authenticated
    using (true);

create policy mentor_status_transitions_select_all on public.mentor_status_transitions
    for select to authenticated
    using (true);

-- History privileges: authenticated may read (rows limited by the policy above); nobody but the
-- owner writes directly, service_role included: it reads everything and writes through the
-- system path.
grant select on table public.peer_mentor_status_history to authenticated;
revoke all on table public.peer_mentor_status_history from service_role;
grant select on table public.peer_mentor_status_history to service_role;

-- Changing a status: users ---------------------------------------------------------------------------
create function public.change_mentor_status(
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

revoke all on function public.change_mentor_status(uuid, public.mentor_status, text) from public, anon, authenticated, service_role;
grant execute on function public.change_mentor_status(uuid, public.mentor_status, text) to authenticated;

-- Changing a status: automated jobs ------------------------------------------------------------------
create function mentor_status_private.record_system_status_change(
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

revoke all on function mentor_status_private.record_system_status_change(uuid, public.mentor_status, text, uuid) from public;
grant execute on function mentor_status_private.record_system_status_change(uuid, public.mentor_status, text, uuid) to service_role;
