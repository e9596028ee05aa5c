-- requires: 20261101000100
-- task-002: peer_mentor_status_history, an append-only audit trail of status changes.
-- Depends on task-001 (type public.mentor_status, table public.mentor_status_reason_codes).
-- The timeline index (mentor_id, changed_at desc) is built without locking writes by the next
-- migration, 20261101000300_task002_history_timeline_index.sql, alone in its file.
--
-- Errors raised here (SQLSTATE class MS is not used by PostgreSQL, so it cannot be confused
-- with a server error):
--   MS100  append-only violation: an UPDATE, DELETE or TRUNCATE of the history table that is not
--          the foreign keys' own ON DELETE SET NULL / ON DELETE CASCADE.

create table public.peer_mentor_status_history (
    id uuid primary key default gen_random_uuid(),
    mentor_id uuid not null,
    previous_status public.mentor_status null,
    new_status public.mentor_status not null,
    changed_by uuid null,
    changed_at timestamptz not null default now(),
    reason text null,
    job_run_id uuid null,
    constraint peer_mentor_status_history_mentor_id_fkey
        foreign key (mentor_id) references public.peer_mentors (id) on delete cascade,
    constraint peer_mentor_status_history_changed_by_fkey
        foreign key (changed_by) references auth.users (id) on delete set null,
    constraint peer_mentor_status_history_reason_fkey
        foreign key (reason) references public.mentor_status_reason_codes (code)
);

comment on table public.peer_mentor_status_history is
    'Append-only audit trail of peer mentor status changes, one row per change. Never updated or '
    'deleted by the application: the database refuses UPDATE, DELETE and TRUNCATE (SQLSTATE MS100) '
    'except the foreign keys'' own ON DELETE actions. Write it through public.change_mentor_status '
    '(users) or the system path (jobs).';
comment on column public.peer_mentor_status_history.id is
    'Identity of the history record.';
comment on column public.peer_mentor_status_history.mentor_id is
    'The mentor whose status changed. ON DELETE CASCADE exists for GDPR right-to-erasure hard '
    'deletes of a peer_mentors row only; soft delete (peer_mentors.deleted_at) is preferred and '
    'keeps the history.';
comment on column public.peer_mentor_status_history.previous_status is
    'Status before the change. NULL only for the initial status record of a mentor.';
comment on column public.peer_mentor_status_history.new_status is
    'Status after the change.';
comment on column public.peer_mentor_status_history.changed_by is
    'The auth user who made the change. NULL = automated system action (e.g. the certification '
    'expiry job, see job_run_id); also becomes NULL when that user is deleted (ON DELETE SET NULL).';
comment on column public.peer_mentor_status_history.changed_at is
    'When the change was made.';
comment on column public.peer_mentor_status_history.reason is
    'Why: one of the predefined codes in mentor_status_reason_codes (e.g. certification_expired, '
    'coordinator_manual_pause, self_pause). Free text is refused by the foreign key; never store '
    'health information or any other personal detail here.';
comment on column public.peer_mentor_status_history.job_run_id is
    'Run of the automated job (e.g. CertificationExpiryJob) that made the change, to correlate bulk '
    'changes. NULL for changes made by a person.';

-- Job audit: "which mentors did run X change?". Most rows are made by people, so partial.
create index peer_mentor_status_history_job_run_id_idx
    on public.peer_mentor_status_history (job_run_id)
    where job_run_id is not null;

-- Deleting an auth user runs the changed_by foreign key's ON DELETE SET NULL: without an index
-- that is a scan of the whole history per deleted user. Partial: system rows have no changed_by.
-- (reason needs none: reason codes are never deleted. mentor_id is served by the timeline index.)
create index peer_mentor_status_history_changed_by_idx
    on public.peer_mentor_status_history (changed_by)
    where changed_by is not null;

-- Append-only enforcement --------------------------------------------------------------------------
-- Referential actions are ordinary UPDATE/DELETE statements on this table, run as its owner
-- from inside the referenced table's RI trigger (so pg_trigger_depth() > 1 when our BEFORE row
-- trigger fires). Those two, and only those two, are let through:
--   * ON DELETE SET NULL of changed_by when an auth user is deleted;
--   * ON DELETE CASCADE of mentor_id when a peer_mentors row is hard-deleted.

create function public.peer_mentor_status_history_refuse_update()
returns trigger
language plpgsql
set search_path = ''
as $$
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
$$;

comment on function public.peer_mentor_status_history_refuse_update() is
    'BEFORE UPDATE row trigger of peer_mentor_status_history: refuses every UPDATE (SQLSTATE MS100) '
    'except the changed_by foreign key''s ON DELETE SET NULL (fired from a referential action, only '
    'changed_by going from non-NULL to NULL). Not callable directly.';

create function public.peer_mentor_status_history_refuse_delete()
returns trigger
language plpgsql
set search_path = ''
as $$
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
$$;

comment on function public.peer_mentor_status_history_refuse_delete() is
    'BEFORE DELETE row trigger of peer_mentor_status_history: refuses every DELETE (SQLSTATE MS100), '
    'even by the owner, except the mentor_id foreign key''s ON DELETE CASCADE from peer_mentors. '
    'Not callable directly.';

create function public.peer_mentor_status_history_refuse_truncate()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
    raise exception 'peer_mentor_status_history is append-only: TRUNCATE refused'
        using errcode = 'MS100',
              detail = 'TRUNCATE would erase the audit trail of every mentor.',
              hint = 'History records are removed only by ON DELETE CASCADE when their peer_mentors row is hard-deleted.';
end;
$$;

comment on function public.peer_mentor_status_history_refuse_truncate() is
    'BEFORE TRUNCATE statement trigger of peer_mentor_status_history: always refuses (SQLSTATE MS100), '
    'also a TRUNCATE ... CASCADE from peer_mentors. Not callable directly.';

create trigger peer_mentor_status_history_refuse_update
    before update on public.peer_mentor_status_history
    for each row execute function public.peer_mentor_status_history_refuse_update();

create trigger peer_mentor_status_history_refuse_delete
    before delete on public.peer_mentor_status_history
    for each row execute function public.peer_mentor_status_history_refuse_delete();

create trigger peer_mentor_status_history_refuse_truncate
    before truncate on public.peer_mentor_status_history
    for each statement execute function public.peer_mentor_status_history_refuse_truncate();

-- Privileges -----------------------------------------------------------------------------------
-- Supabase's default privileges granted ALL on the new table and functions to anon, authenticated
-- and service_role. Take it back: the API roles get nothing here (task-003 adds what reading
-- needs), service_role keeps no way to rewrite or erase history.
revoke all on table public.peer_mentor_status_history from public, anon, authenticated;
revoke update, delete, truncate on table public.peer_mentor_status_history from service_role;

-- Trigger functions are checked for EXECUTE when the trigger is created, not when it fires.
revoke all on function public.peer_mentor_status_history_refuse_update() from public, anon, authenticated, service_role;
revoke all on function public.peer_mentor_status_history_refuse_delete() from public, anon, authenticated, service_role;
revoke all on function public.peer_mentor_status_history_refuse_truncate() from public, anon, authenticated, service_role;

-- Not exposed through PostgREST: RLS on, and no policy in this migration (deny). task-003
-- defines the policies.
alter table public.peer_mentor_status_history enable row level security;
