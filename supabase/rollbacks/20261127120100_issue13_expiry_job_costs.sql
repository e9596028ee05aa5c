-- Rollback of 20261127120100_issue13_expiry_job_costs: the MS101 trigger function and
-- notification_recipients as 20261127100100 and 20261101000500 wrote them (search paths as
-- 20261127105000 left them; the comments were never changed).

set lock_timeout = '5s';

create or replace function mentor_status_private.refuse_status_without_history()
returns trigger
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    v_mentor_id uuid;
    v_from public.mentor_status;
    v_to public.mentor_status;
    v_recorded public.mentor_status;
begin
    -- security definer: reads every history record whoever updates (row-level security aside).
    select n.id, o.status, n.status, h.new_status
      into v_mentor_id, v_from, v_to, v_recorded
    from new_mentors n
    join old_mentors o on o.id = n.id
    left join lateral (
        select h.new_status
        from public.peer_mentor_status_history h
        where h.mentor_id = n.id
        order by h.changed_at desc
        limit 1
    ) h on true
    where n.status is distinct from o.status
      and h.new_status is distinct from n.status
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
$$;

create or replace function mentor_status_private.notification_recipients(p_mentor_ids uuid[])
returns table (coordinator_user_id uuid, mentor_id uuid, fell_back_to_organisation boolean)
language sql
stable
set search_path = ''
as $$
    with chapter_coordinators as (
        -- every active coordinator of every chapter of the mentor
        select distinct ca.user_id, cm.mentor_id
        from public.chapter_memberships cm
        join public.coordinator_assignments ca on ca.chapter_id = cm.chapter_id
        where cm.mentor_id = any (p_mentor_ids)
          and ca.revoked_at is null
    ),
    organisation_coordinators as (
        -- none of the mentor's chapters has one: every active coordinator of the organisation
        select distinct ca.user_id, m.id as mentor_id
        from public.peer_mentors m
        join public.chapters c on c.organisation_id = m.organisation_id
        join public.coordinator_assignments ca on ca.chapter_id = c.id
        where m.id = any (p_mentor_ids)
          and ca.revoked_at is null
          and not exists (select 1 from chapter_coordinators cc where cc.mentor_id = m.id)
    )
    select user_id, mentor_id, false from chapter_coordinators
    union all
    select user_id, mentor_id, true from organisation_coordinators
$$;
