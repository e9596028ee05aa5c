-- Functions of the API (PostgREST rpc)
--
-- What the app calls through PostgREST as a signed-in user. The public functions are security invoker and keep their
-- names, arguments and results (the app depends on them); the work is done by definer helpers in
-- mentor_status_private. Errors are SQLSTATE MS4xx with a message that says what to do instead (README).
--
-- Part of the declarative schema: supabase/schemas/*.sql, applied in file-name order on top of the platform layer,
-- describe the database as the migrations leave it. Change the schema here, then `mentorstatus db diff -f NAME`
-- writes the migration and its rollback; CI fails when these files and the migrations disagree.

-- Status changes --------------------------------------------------------------------------------------------
create or replace function public.change_mentor_status(
    p_mentor_id uuid,
    p_new_status public.mentor_status,
    p_reason text
)
    returns public.peer_mentor_status_history
    language sql
    set search_path to 'pg_catalog', 'pg_temp'
as $function$
    select mentor_status_private.change_status_as_user(p_mentor_id, p_new_status, p_reason)
$function$;
comment on function public.change_mentor_status(uuid,public.mentor_status,text) is
    'The one way for a user (PostgREST rpc, authenticated) to change a mentor''s status. Security '
    'invoker: the work is done by mentor_status_private.change_status_as_user, which checks the caller '
    '(a mentor with mentor codes on themself, a coordinator with coordinator codes on mentors of their '
    'chapters), the rate limit, the transition and public.mentor_status_rules, then appends the history '
    'record (changed_by = auth.uid()), which it returns, and updates peer_mentors. Errors: MS400 null '
    'argument, MS401 no user, MS403 reason not yours, MS404 mentor not found or not yours, MS409 '
    'transition not allowed, MS412 refused by the rules for the cause of the pause, MS413 argument too '
    'long, MS422 unknown reason, MS429 too many own changes.';

create or replace function public.allowed_status_changes(p_mentor_id uuid)
    returns table(reason_code text, new_status public.mentor_status, description text)
    language sql
    stable
    set search_path to 'pg_catalog', 'pg_temp'
as $function$
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
$function$;
comment on function public.allowed_status_changes(uuid) is
    'The status changes the signed-in caller may make to this mentor now (rpc, for the UI to offer only '
    'these): the rules of public.mentor_status_rules for the mentor''s status and cause of pause, for a '
    'mentor the caller is (unless over the self-change limit) or coordinates (never their own record; '
    'not over the coordinators'' change limit). No row for a mentor the caller may not see, that is '
    'soft-deleted or that does not exist. public.change_mentor_status enforces the same rules.';

-- Timeline --------------------------------------------------------------------------------------------------
create or replace function mentor_status_private.mentor_timeline(
    p_mentor_id uuid,
    p_before_changed_at timestamp with time zone,
    p_before_id uuid,
    p_limit integer
)
    returns setof public.peer_mentor_status_history
    language plpgsql
    stable security definer
    set search_path to 'pg_catalog', 'pg_temp'
as $function$
declare
    v_uid pg_catalog.uuid := auth.uid();
begin
    if p_limit is null or p_limit < 1 or p_limit > 1001 then
        raise exception 'mentor_timeline: p_limit must be between 1 and 1001, not %', coalesce(p_limit::pg_catalog.text, 'NULL')
            using errcode = '22023', hint = 'Ask for at most 1000 records a page (the repository asks for one more to know whether another page exists).';
    end if;
    if (p_before_changed_at is null) <> (p_before_id is null) then
        raise exception 'mentor_timeline: p_before_changed_at and p_before_id go together (the keyset cursor), got only one'
            using errcode = '22023', hint = 'Pass both from the last record of the previous page, or neither for the first page.';
    end if;
    -- The history policy's rule (visible_mentor_ids()) for this one mentor. Only parameters appear in it,
    -- so its generic plan is its custom plan: InitPlans of point probes (see the header).
    if v_uid is null or not exists (
        select 1
        from public.peer_mentors m
        where m.id = p_mentor_id
          and m.deleted_at is null
          and (m.user_id = v_uid
               or exists (
                   select 1
                   from public.chapter_memberships cm
                   cross join lateral (
                       -- LIMIT keeps the subquery a parameterised probe per chapter of the mentor
                       select 1
                       from public.coordinator_assignments ca
                       where ca.user_id = v_uid
                         and ca.chapter_id = cm.chapter_id
                         and ca.revoked_at is null
                       limit 1) coordinated
                   where cm.mentor_id = p_mentor_id))) then
        return; -- an empty timeline, as for a mentor that does not exist
    end if;
    -- the service's keyset read (MentorStatusRepository.TimelineSql), so the same plan
    return query
        select h.*
        from public.peer_mentor_status_history h
        where h.mentor_id = p_mentor_id
          -- keyset: strictly below the cursor; "changed_at <=" bounds the index range
          and h.changed_at <= coalesce(p_before_changed_at, 'infinity'::pg_catalog.timestamptz)
          and (p_before_changed_at is null or (h.changed_at, h.id) < (p_before_changed_at, p_before_id))
        order by h.changed_at desc, h.id desc
        limit p_limit;
end;
$function$;
comment on function mentor_status_private.mentor_timeline(uuid,timestamp with time zone,uuid,integer) is
    'One page of a mentor''s history, newest first, for the current user: first the history policy''s '
    'rule checked for this one mentor (a statement of point probes whose plan does not depend on the '
    'caller: no hashed SubPlan in PL/pgSQL''s generic plan), then the keyset read on the timeline index '
    '(mentor_id, changed_at desc), the service''s statement. Empty for a mentor the caller may not see. '
    'Its cost does not grow with the number of chapters the caller coordinates.';

create or replace function public.mentor_timeline(
    p_mentor_id uuid,
    p_before_changed_at timestamp with time zone default null::timestamp with time zone,
    p_before_id uuid default null::uuid,
    p_limit integer default 50
)
    returns setof public.peer_mentor_status_history
    language plpgsql
    stable
    set search_path to 'pg_catalog', 'pg_temp'
as $function$
begin
    -- PL/pgSQL, not SQL: a SQL function with a SET clause is never inlined and is planned again on every
    -- call (measured: +23 µs a call against +6 µs for this wrapper)
    return query
        select * from mentor_status_private.mentor_timeline(p_mentor_id, p_before_changed_at, p_before_id, p_limit);
end;
$function$;
comment on function public.mentor_timeline(uuid,timestamp with time zone,uuid,integer) is
    'rpc: one page of a mentor''s status history, newest first (p_limit records, at most 1001; pass the '
    'last record''s changed_at and id as p_before_changed_at and p_before_id for the next page). Empty '
    'for a mentor the caller may not see. Same rows as reading peer_mentor_status_history under its '
    'policy, but the check is one point lookup instead of the array of every mentor the caller may see.';
