-- requires: 20261127100000
-- issue 10, part 2: every status has a history, from the first one.
--
--   * Inserting peer_mentors rows (any role, any statement: INSERT, INSERT ... ON CONFLICT, MERGE, COPY)
--     writes each new mentor's initial record in the same statement: previous_status NULL, new_status =
--     the status inserted, reason initial_status, changed_by = auth.uid() (NULL for the owner, service_role
--     and imports), changed_at = created_at (never later than now). If that record cannot be written,
--     the insert fails with it.
--   * Any statement that changes peer_mentors.status must leave, for every mentor it changed, a newest
--     history record whose new_status is the new status: written before the UPDATE in the same
--     transaction, or by the same statement (a data-modifying CTE, as the expiry job does). Otherwise
--     the statement is refused (SQLSTATE MS101) and nothing of it remains. This holds for the table
--     owner too; the per-row trigger of 20261101000600 still refuses API roles first (42501).
--
-- Both triggers are statement-level with transition tables: the nightly job that pauses a batch of
-- mentors in one statement pays one trigger call per statement (a join and one index probe per changed
-- mentor), never a call per row.
--
-- The only ways around them are the owner's DDL (disabling the triggers) and a superuser's
-- session_replication_role = replica, which also switches off foreign keys; neither is a data path.
--
-- Error raised here:
--   MS101  a status changed without its history record.

-- Mentors created before this migration: an initial record for each mentor without any history, so
-- that every status has a record from now on (the seed and the status functions already wrote one;
-- this is for data loaded around them). changed_at: when the status was last set, or else creation.
insert into public.peer_mentor_status_history
    (mentor_id, previous_status, new_status, changed_by, changed_at, reason, job_run_id)
select m.id, null, m.status, null, coalesce(m.status_changed_at, m.created_at), 'initial_status', null
from public.peer_mentors m
where not exists (select 1 from public.peer_mentor_status_history h where h.mentor_id = m.id);

-- Insert: write the initial records --------------------------------------------------------------------
create function mentor_status_private.write_initial_status_records()
returns trigger
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
begin
    -- security definer: service_role and imports hold no INSERT on the history, the owner does.
    insert into public.peer_mentor_status_history
        (mentor_id, previous_status, new_status, changed_by, changed_at, reason, job_run_id)
    select n.id, null, n.status, auth.uid(), least(n.created_at, pg_catalog.clock_timestamp()), 'initial_status', null
    from new_mentors n;
    return null;
end;
$$;

comment on function mentor_status_private.write_initial_status_records() is
    'AFTER INSERT statement trigger of peer_mentors: writes the initial history record of every inserted '
    'mentor (previous_status NULL, reason initial_status, changed_by auth.uid()). Not callable directly.';

create trigger peer_mentors_write_initial_status
    after insert on public.peer_mentors
    referencing new table as new_mentors
    for each statement
    execute function mentor_status_private.write_initial_status_records();

-- Update: refuse a status without its history record -----------------------------------------------------
create function mentor_status_private.refuse_status_without_history()
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

comment on function mentor_status_private.refuse_status_without_history() is
    'AFTER UPDATE statement trigger of peer_mentors: refuses (SQLSTATE MS101) a statement that changed a '
    'mentor''s status unless that mentor''s newest history record has the new status. Not callable directly.';

create trigger peer_mentors_refuse_status_without_history
    after update on public.peer_mentors
    referencing old table as old_mentors new table as new_mentors
    for each statement
    execute function mentor_status_private.refuse_status_without_history();

-- Trigger functions are checked for EXECUTE when the trigger is created, not when it fires.
revoke all on function mentor_status_private.write_initial_status_records() from public, anon, authenticated, service_role;
revoke all on function mentor_status_private.refuse_status_without_history() from public, anon, authenticated, service_role;
