-- requires: 20261207100100
-- The system path tells the truth, and a hard delete leaves a trace.
--
--   * mentor_status_private.record_system_status_change(p_mentor_id, p_new_status, p_reason, p_job_run_id,
--     p_service): a system change says who made it. With a job run, the run says (status_job_runs). Without
--     one, a row of public.system_status_change_sources beside the history row records the service's name as
--     it passed it (p_service; the library passes its program's name), the database role the session acted as
--     and its application_name: always what the database knows, and the name when the caller gives it. The
--     history's own columns stay the seed's (changed_by NULL means "automated"; the source says which
--     automation). The four-argument form stays for existing callers: the five-argument one without a name.
--   * certification_expired is refused (MS412) for a mentor whose certification has not expired
--     (certification_expires_at NULL or in the future): the system path may not claim an expiry that did not
--     happen.
--   * A hard delete of a mentor (the right-to-erasure path: peer_mentors' delete cascades to the history) writes
--     a row to public.mentor_erasures first: when, who (auth.uid() and the database role), the organisation, and
--     how many history rows went. Nothing about the person: no name, no email, and no mentor id, not even
--     hashed. The id is pseudonymous personal data (it stays in backups, logs, receivers of notifications), and
--     a hash of it links the record back to the person for anyone holding the id, which is what the erasure
--     is meant to end; the audit question "did history vanish, when, by whom" needs no link to the person.
--     Readable by service_role only; append-only like the history (MS100).
--
-- Tests: supabase/tests/072_system_path_tells_the_truth.sql, 074_erasure_records.sql.

set lock_timeout = '5s';

-- Who made a system change -----------------------------------------------------------------------------
-- mentor_id (not a foreign key to the history, which would make TRUNCATE of the history fail before its own
-- append-only trigger can refuse it): the row goes with the mentor's hard delete, as the history does.
create table public.system_status_change_sources (
    history_id uuid primary key,
    mentor_id uuid not null references public.peer_mentors (id) on delete cascade,
    service text null check (service ~ '^[a-z][a-z0-9_.-]{1,62}$'),
    database_role text not null,
    application_name text null,
    recorded_at timestamptz not null default clock_timestamp()
);

comment on table public.system_status_change_sources is
    'Who made a system status change (peer_mentor_status_history row with changed_by NULL) that no job run made, '
    'or that named its service: written by mentor_status_private.record_system_status_change with the history '
    'row. Append-only (MS100; removed only by the cascade of the mentor''s hard delete, with the history). '
    'service_role reads.';
comment on column public.system_status_change_sources.history_id is
    'The history row (peer_mentor_status_history.id).';
comment on column public.system_status_change_sources.mentor_id is
    'The mentor of the history row: the source goes with the mentor''s hard delete (ON DELETE CASCADE).';
comment on column public.system_status_change_sources.service is
    'The service''s own name, as it passed it (p_service); NULL when it gave none (then database_role and '
    'application_name say what the database knows).';
comment on column public.system_status_change_sources.database_role is
    'The role the session acted as (SET ROLE, e.g. service_role), else the login role.';
comment on column public.system_status_change_sources.application_name is
    'The session''s application_name, as the client set it (NULL when empty).';

-- Erasure records -----------------------------------------------------------------------------------------
create table public.mentor_erasures (
    id uuid primary key default gen_random_uuid(),
    erased_at timestamptz not null default clock_timestamp(),
    erased_by uuid null,
    database_role text not null,
    organisation_id uuid not null,
    history_rows integer not null check (history_rows >= 0)
);

comment on table public.mentor_erasures is
    'One row per hard-deleted peer mentor (right to erasure): the history rows that went with the mentor, when, '
    'and who deleted it, so an audit sees that history vanished. Holds nothing about the person (no name, email '
    'or mentor id). Written by a trigger on peer_mentors; append-only (MS100); service_role reads.';
comment on column public.mentor_erasures.erased_by is
    'auth.uid() of the session that deleted the mentor; NULL for the service and the owner (see database_role). '
    'No foreign key: the record outlives the user.';
comment on column public.mentor_erasures.database_role is
    'The role the session acted as (SET ROLE, e.g. service_role), else the login role.';
comment on column public.mentor_erasures.organisation_id is
    'The organisation the mentor belonged to (not personal data; no foreign key, the record outlives it).';
comment on column public.mentor_erasures.history_rows is
    'How many peer_mentor_status_history rows the delete removed (counted as the delete began, with the row locked).';

-- Append-only, for both ------------------------------------------------------------------------------------
create function mentor_status_private.refuse_audit_change()
returns trigger
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
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
$$;

comment on function mentor_status_private.refuse_audit_change() is
    'BEFORE UPDATE/DELETE/TRUNCATE trigger of the audit tables public.mentor_erasures and '
    'public.system_status_change_sources: refuses (MS100), even for the owner, except the cascade that removes a '
    'source row with its mentor (hard delete). Not callable directly.';

create trigger mentor_erasures_append_only
    before update or delete on public.mentor_erasures
    for each row execute function mentor_status_private.refuse_audit_change();
create trigger mentor_erasures_no_truncate
    before truncate on public.mentor_erasures
    for each statement execute function mentor_status_private.refuse_audit_change();
create trigger system_status_change_sources_append_only
    before update or delete on public.system_status_change_sources
    for each row execute function mentor_status_private.refuse_audit_change();
create trigger system_status_change_sources_no_truncate
    before truncate on public.system_status_change_sources
    for each statement execute function mentor_status_private.refuse_audit_change();

-- The erasure record, written as the delete of each mentor begins ------------------------------------------
create function mentor_status_private.record_mentor_erasure()
returns trigger
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
begin
    -- BEFORE the row goes (the cascade to the history runs after it, so only now can the rows be counted); the
    -- row is already locked, so no change of this mentor commits in between. Security definer: whoever may
    -- delete a mentor writes the record, and no API role may write it otherwise.
    insert into public.mentor_erasures (erased_by, database_role, organisation_id, history_rows)
    select auth.uid(),
           coalesce(nullif(pg_catalog.current_setting('role'), 'none'), session_user::text),
           old.organisation_id,
           (select pg_catalog.count(*) from public.peer_mentor_status_history h where h.mentor_id = old.id);
    return old;
end;
$$;

comment on function mentor_status_private.record_mentor_erasure() is
    'BEFORE DELETE row trigger of peer_mentors: writes the public.mentor_erasures record (who, when, the '
    'organisation, how many history rows go). Not callable directly.';

create trigger peer_mentors_record_erasure
    before delete on public.peer_mentors
    for each row execute function mentor_status_private.record_mentor_erasure();

-- Privileges: service_role reads, nobody writes but the database itself ------------------------------------
revoke all on table public.system_status_change_sources from public, anon, authenticated, service_role;
revoke all on table public.mentor_erasures from public, anon, authenticated, service_role;
grant select on table public.system_status_change_sources to service_role;
grant select on table public.mentor_erasures to service_role;
alter table public.system_status_change_sources enable row level security;
alter table public.mentor_erasures enable row level security;
revoke all on function mentor_status_private.refuse_audit_change() from public, anon, authenticated, service_role;
revoke all on function mentor_status_private.record_mentor_erasure() from public, anon, authenticated, service_role;

-- The system path ------------------------------------------------------------------------------------------
create function mentor_status_private.record_system_status_change(
    p_mentor_id uuid,
    p_new_status public.mentor_status,
    p_reason text,
    p_job_run_id uuid,
    p_service text
)
returns public.peer_mentor_status_history
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
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
$$;


comment on function mentor_status_private.record_system_status_change(uuid, public.mentor_status, text, uuid, text) is
    'The sanctioned path for automated status changes (service_role or the owner only): system reason codes '
    'only, changed_by NULL, job_run_id = the job run; without a job run, public.system_status_change_sources '
    'records who: p_service (the calling service''s name, when given), the role and application_name. Same locking, transition check and errors '
    'as public.change_mentor_status, and the same rules: certification_renewed resumes only a mentor the '
    'certification job paused, and only while certification_expires_at is in the future; certification_expired '
    'only for a certification that has expired (MS412). Bulk jobs running as the table owner may instead use '
    'one set-based statement with the same rules (and clock_timestamp() for changed_at).';

revoke all on function mentor_status_private.record_system_status_change(uuid, public.mentor_status, text, uuid, text) from public, anon, authenticated, service_role;
grant execute on function mentor_status_private.record_system_status_change(uuid, public.mentor_status, text, uuid, text) to service_role;

-- The four-argument form: the same path without a service name.
create or replace function mentor_status_private.record_system_status_change(
    p_mentor_id uuid,
    p_new_status public.mentor_status,
    p_reason text,
    p_job_run_id uuid
)
returns public.peer_mentor_status_history
language sql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
    select mentor_status_private.record_system_status_change(p_mentor_id, p_new_status, p_reason, p_job_run_id, null)
$$;

comment on function mentor_status_private.record_system_status_change(uuid, public.mentor_status, text, uuid) is
    'The system path without a service name: record_system_status_change(..., p_job_run_id, p_service => NULL). '
    'Without a job run the source row then holds only the role and application_name: services should pass '
    'their name to the five-argument form.';
