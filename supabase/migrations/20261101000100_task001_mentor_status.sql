-- requires: 20261101000000
-- task-001: mentor status on peer_mentors, certification expiry, predefined reason codes.
-- Additive only: no renames, no drops, no column that an existing "select *" consumer or insert
-- could trip over (status has a constant default, so adding it rewrites no rows either).

create type public.mentor_status as enum ('active', 'paused', 'inactive');

comment on type public.mentor_status is
    'Availability of a peer mentor: active (takes assignments), paused (temporarily not), inactive (left).';

alter table public.peer_mentors
    add column status public.mentor_status not null default 'active',
    add column status_changed_at timestamptz null,
    add column certification_expires_at timestamptz null;

comment on column public.peer_mentors.status is
    'Current status. Change it only through public.change_mentor_status (or the system path for the '
    'certification job) so that peer_mentor_status_history records every change.';
comment on column public.peer_mentors.status_changed_at is
    'When status last changed. NULL = unchanged since the column was added.';
comment on column public.peer_mentors.certification_expires_at is
    'When the mentor''s certification expires. NULL = no certification on record. '
    'The nightly certification job pauses active mentors whose certification has expired.';

-- The index the nightly certification job uses is built without blocking writes to this existing
-- table by the next migration, 20261101000150_task001_certification_expiry_index.sql, alone in its file.

create table public.mentor_status_reason_codes (
    code text primary key check (code ~ '^[a-z][a-z0-9_]{2,62}$'),
    actor_kind text not null check (actor_kind in ('mentor', 'coordinator', 'system')),
    description text not null
);

comment on table public.mentor_status_reason_codes is
    'Predefined reasons for a status change. peer_mentor_status_history.reason must be one of these '
    'codes, so that no free text (and never health information) is stored with a status change.';
comment on column public.mentor_status_reason_codes.code is
    'The code stored in peer_mentor_status_history.reason: lower-case snake case.';
comment on column public.mentor_status_reason_codes.actor_kind is
    'Who may use the code: mentor (about themself), coordinator (about mentors of their chapters), '
    'system (automated jobs, changed_by NULL).';
comment on column public.mentor_status_reason_codes.description is
    'What the code means, for people reading the history.';

insert into public.mentor_status_reason_codes (code, actor_kind, description) values
    ('self_pause', 'mentor', 'The mentor paused themself.'),
    ('self_resume', 'mentor', 'The mentor resumed after pausing themself.'),
    ('coordinator_manual_pause', 'coordinator', 'A coordinator of one of the mentor''s chapters paused the mentor.'),
    ('coordinator_resume', 'coordinator', 'A coordinator of one of the mentor''s chapters resumed the mentor.'),
    ('coordinator_deactivate', 'coordinator', 'A coordinator of one of the mentor''s chapters made the mentor inactive.'),
    ('coordinator_reactivate', 'coordinator', 'A coordinator of one of the mentor''s chapters made an inactive mentor active again.'),
    ('certification_expired', 'system', 'The certification job paused the mentor because the certification expired.'),
    ('certification_renewed', 'system', 'The mentor was resumed because the certification was renewed.'),
    ('initial_status', 'system', 'First history record of a mentor: the status the mentor started with.');

-- Supabase's default privileges expose the table to the API roles: deny until task-003 adds a
-- read policy for authenticated users.
alter table public.mentor_status_reason_codes enable row level security;
