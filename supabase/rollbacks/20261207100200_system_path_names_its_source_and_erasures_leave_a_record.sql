-- Rollback of 20261207100200_system_path_names_its_source_and_erasures_leave_a_record.sql: the four-argument
-- system path of 20261127100200 again, without the five-argument one, the audit tables and their triggers.
set lock_timeout = '5s';

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

drop function mentor_status_private.record_system_status_change(uuid, public.mentor_status, text, uuid, text);

drop trigger peer_mentors_record_erasure on public.peer_mentors;
drop function mentor_status_private.record_mentor_erasure();
drop table public.mentor_erasures;
drop table public.system_status_change_sources;
drop function mentor_status_private.refuse_audit_change();
