-- requires: 20261101000600
-- issue 10, part 1: who paused decides who may resume. The rules live in data, readable by the app
-- (so that the UI can grey out what the signed-in user may not do) and enforced by the status
-- functions (20261127100200).
--
-- A rule says: with this reason code, a mentor whose status is from_status and, when paused, whose
-- pause was caused by pause_cause, may be moved to to_status by this actor. What is not listed is
-- refused (SQLSTATE MS412, with a message naming who may do it instead).
--   actor        self = the mentor about themself; coordinator = an active coordinator of one of the
--                mentor's chapters; system = the service's system path (jobs).
--   pause_cause  the reason of the change that paused the mentor: the reason of the mentor's newest
--                history record (one probe of the (mentor_id, changed_at desc) index; see
--                mentor_status_private.pause_cause). NULL when the mentor is not paused.
--
-- The rate limit of a mentor's own changes (issue 10, part 6) is set in data too:
-- public.mentor_status_settings.

-- A coordinator's explicit override of a certification pause: its own code, so that the history says
-- plainly that a coordinator resumed a mentor without a renewed certification.
insert into public.mentor_status_reason_codes (code, actor_kind, description) values
    ('coordinator_certification_override', 'coordinator',
     'A coordinator of one of the mentor''s chapters resumed a mentor whom the certification job had paused, '
     'without a renewed certification: an explicit override.');

insert into public.mentor_status_transitions (reason_code, from_status, to_status) values
    ('coordinator_certification_override', 'paused', 'active');

-- The rules -----------------------------------------------------------------------------------------
create table public.mentor_status_rules (
    reason_code text not null,
    from_status public.mentor_status not null,
    pause_cause text null references public.mentor_status_reason_codes (code),
    to_status public.mentor_status not null,
    actor text not null check (actor in ('self', 'coordinator', 'system')),
    requires_valid_certification boolean not null default false,
    -- every rule is an allowed transition of its code
    constraint mentor_status_rules_transition_fkey foreign key (reason_code, from_status, to_status)
        references public.mentor_status_transitions (reason_code, from_status, to_status),
    constraint mentor_status_rules_key unique nulls not distinct (reason_code, from_status, pause_cause),
    constraint mentor_status_rules_cause_exactly_when_paused check ((from_status = 'paused') = (pause_cause is not null))
);

comment on table public.mentor_status_rules is
    'Who may change a mentor''s status with which reason code, given the current status and, for a paused '
    'mentor, the cause of the pause. Anything not listed is refused by public.change_mentor_status and '
    'mentor_status_private.record_system_status_change (SQLSTATE MS412). Readable by every signed-in user '
    '(public.allowed_status_changes answers what the caller may do now); changed only by migration.';
comment on column public.mentor_status_rules.reason_code is
    'The reason code of the change (public.mentor_status_reason_codes).';
comment on column public.mentor_status_rules.from_status is
    'The status the mentor has now.';
comment on column public.mentor_status_rules.pause_cause is
    'For a paused mentor: the reason of the change that paused them (the newest history record; '
    'initial_status when the mentor was created paused). NULL exactly when from_status is not paused.';
comment on column public.mentor_status_rules.to_status is
    'The status the mentor gets.';
comment on column public.mentor_status_rules.actor is
    'Who may use the rule: self (the mentor about themself), coordinator (an active coordinator of one of the '
    'mentor''s chapters) or system (the service''s system path, changed_by NULL).';
comment on column public.mentor_status_rules.requires_valid_certification is
    'True when the change is allowed only while peer_mentors.certification_expires_at is in the future '
    '(certification_renewed).';

insert into public.mentor_status_rules (reason_code, from_status, pause_cause, to_status, actor, requires_valid_certification) values
    -- an active mentor
    ('self_pause',                         'active',   null,                       'paused',   'self',        false),
    ('coordinator_manual_pause',           'active',   null,                       'paused',   'coordinator', false),
    ('coordinator_deactivate',             'active',   null,                       'inactive', 'coordinator', false),
    ('certification_expired',              'active',   null,                       'paused',   'system',      false),
    -- paused by themself: the mentor or a coordinator may resume
    ('self_resume',                        'paused',   'self_pause',               'active',   'self',        false),
    ('coordinator_resume',                 'paused',   'self_pause',               'active',   'coordinator', false),
    ('coordinator_deactivate',             'paused',   'self_pause',               'inactive', 'coordinator', false),
    -- paused by a coordinator: only a coordinator may resume
    ('coordinator_resume',                 'paused',   'coordinator_manual_pause', 'active',   'coordinator', false),
    ('coordinator_deactivate',             'paused',   'coordinator_manual_pause', 'inactive', 'coordinator', false),
    -- paused by the certification job: a renewed certification, or a coordinator's explicit override
    ('certification_renewed',              'paused',   'certification_expired',    'active',   'system',      true),
    ('coordinator_certification_override', 'paused',   'certification_expired',    'active',   'coordinator', false),
    ('coordinator_deactivate',             'paused',   'certification_expired',    'inactive', 'coordinator', false),
    -- created paused (or paused before any history existed): nobody recorded why, so a coordinator decides
    ('coordinator_resume',                 'paused',   'initial_status',           'active',   'coordinator', false),
    ('coordinator_deactivate',             'paused',   'initial_status',           'inactive', 'coordinator', false),
    -- inactive: only a coordinator brings a mentor back
    ('coordinator_reactivate',             'inactive', null,                       'active',   'coordinator', false);

-- Settings ----------------------------------------------------------------------------------------
create table public.mentor_status_settings (
    singleton boolean primary key default true check (singleton),
    self_change_limit integer not null default 10 check (self_change_limit >= 0),
    self_change_window interval not null default interval '24 hours' check (self_change_window > interval '0'),
    updated_at timestamptz not null default now()
);

comment on table public.mentor_status_settings is
    'Tunable limits of status changes, one row. Readable by every signed-in user; changed by the owner '
    '(a migration or the SQL editor), never through the API.';
comment on column public.mentor_status_settings.singleton is
    'Always true: the table has exactly one row.';
comment on column public.mentor_status_settings.self_change_limit is
    'How many changes a mentor may make to their own status within self_change_window (counted from the '
    'history: changed_by = the mentor''s user, mentor_id = their own). Coordinators and the system are not '
    'limited. Over the limit public.change_mentor_status refuses with SQLSTATE MS429.';
comment on column public.mentor_status_settings.self_change_window is
    'The sliding window of self_change_limit.';
comment on column public.mentor_status_settings.updated_at is
    'When the settings were last changed (set it when you change them).';

insert into public.mentor_status_settings (singleton) values (true);

-- Privileges: read for signed-in users (and service_role), no writes by any API role -------------------
alter table public.mentor_status_rules enable row level security;
alter table public.mentor_status_settings enable row level security;

create policy mentor_status_rules_select_all on public.mentor_status_rules
    for select to authenticated
    using (true);

create policy mentor_status_settings_select_all on public.mentor_status_settings
    for select to authenticated
    using (true);

revoke all on table public.mentor_status_rules from public, anon, authenticated, service_role;
revoke all on table public.mentor_status_settings from public, anon, authenticated, service_role;
grant select on table public.mentor_status_rules to authenticated, service_role;
grant select on table public.mentor_status_settings to authenticated, service_role;

-- The cause of the current pause ----------------------------------------------------------------------
-- Derived from the newest history record rather than stored, so that no path (the set-based expiry job
-- included) has a second column to keep right. Invoker: inside the definer status functions it reads
-- every record; called by a user it reads what row-level security lets them read.
create function mentor_status_private.pause_cause(p_mentor_id uuid, p_status public.mentor_status)
returns text
language sql
stable
set search_path = pg_catalog, pg_temp
as $$
    select case
               when p_status is distinct from 'paused'::public.mentor_status then null
               else coalesce(
                   (select case when h.new_status = 'paused'::public.mentor_status then h.reason end
                    from public.peer_mentor_status_history h
                    where h.mentor_id = p_mentor_id
                    order by h.changed_at desc
                    limit 1),
                   'initial_status')
           end
$$;

comment on function mentor_status_private.pause_cause(uuid, public.mentor_status) is
    'Why a mentor with status p_status is paused: the reason of their newest history record (one probe of '
    'the timeline index). NULL when p_status is not paused. initial_status when no record says why (created '
    'paused, or history older than the mentor''s status): then a coordinator decides.';

revoke all on function mentor_status_private.pause_cause(uuid, public.mentor_status) from public, anon, authenticated, service_role;
grant execute on function mentor_status_private.pause_cause(uuid, public.mentor_status) to authenticated, service_role;
