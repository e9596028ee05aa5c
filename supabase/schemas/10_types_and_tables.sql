-- Types and tables
--
-- Every table of the product with its columns, constraints, indexes and comments, and row-level security switched on.
-- Who may read or write them is in 90_policies_and_grants.sql; the rows the status rules are made of are in
-- 20_reference_data.sql. Columns are listed in the order the database holds them: add a new column last.
--
-- Part of the declarative schema: supabase/schemas/*.sql, applied in file-name order on top of the platform layer,
-- describe the database as the migrations leave it. Change the schema here, then `mentorstatus db diff -f NAME`
-- writes the migration and its rollback; CI fails when these files and the migrations disagree.

-- Schemas and types -----------------------------------------------------------------------------------------
create schema mentor_status_private;
comment on schema mentor_status_private is
    'Security definer helpers for the mentor-status row-level security policies and the system path for status '
    'changes. Never add it to the schemas PostgREST exposes.';

create type public.mentor_status as enum ('active', 'paused', 'inactive');
comment on type public.mentor_status is
    'Availability of a peer mentor: active (takes assignments), paused (temporarily not), inactive (left).';

-- Organisations, chapters, mentors and coordinators ---------------------------------------------------------
create table public.organisations (
    id uuid default gen_random_uuid() not null,
    name text not null,
    created_at timestamp with time zone default now() not null,
    language text,
    constraint organisations_pkey primary key (id)
);
alter table public.organisations
    add constraint organisations_language_supported check ((language = any (array['nb'::text, 'en'::text]))) not valid;
alter table public.organisations enable row level security;
comment on table public.organisations is
    'A volunteer organisation. Owns chapters and peer mentors.';
comment on column public.organisations.language is
    'Language of the notifications sent to this organisation''s coordinators: nb (Norwegian Bokmål) or '
    'en (English). NULL means nb, the language of the Norwegian peer-support organisations this serves.';

create table public.chapters (
    id uuid default gen_random_uuid() not null,
    organisation_id uuid not null,
    name text not null,
    created_at timestamp with time zone default now() not null,
    constraint chapters_pkey primary key (id),
    constraint chapters_organisation_id_fkey foreign key (organisation_id) references public.organisations(id)
);
alter table public.chapters enable row level security;
comment on table public.chapters is
    'A local chapter of an organisation. Mentors are members of chapters; coordinators look after '
    'chapters.';
create index chapters_organisation_id_idx on public.chapters using btree (organisation_id);

create table public.peer_mentors (
    id uuid default gen_random_uuid() not null,
    user_id uuid,
    organisation_id uuid not null,
    display_name text not null,
    created_at timestamp with time zone default now() not null,
    deleted_at timestamp with time zone,
    status public.mentor_status default 'active'::public.mentor_status not null,
    status_changed_at timestamp with time zone,
    certification_expires_at timestamp with time zone,
    constraint peer_mentors_pkey primary key (id),
    constraint peer_mentors_user_id_key unique (user_id),
    constraint peer_mentors_organisation_id_fkey foreign key (organisation_id) references public.organisations(id),
    constraint peer_mentors_user_id_fkey foreign key (user_id) references auth.users(id) on delete set null
);
alter table public.peer_mentors enable row level security;
comment on table public.peer_mentors is
    'A peer mentor of an organisation. Prefer soft delete (deleted_at); a hard delete is for '
    'right-to-erasure requests only.';
comment on column public.peer_mentors.user_id is
    'The mentor''s login (auth.users.id). NULL when the mentor has no login or the user was deleted. '
    'Unique: one mentor record per user.';
comment on column public.peer_mentors.deleted_at is
    'Soft delete: when set, the mentor is gone for the application. Readers must filter on it.';
comment on column public.peer_mentors.status is
    'Current status. Change it only through public.change_mentor_status (or the system path for the '
    'certification job) so that peer_mentor_status_history records every change.';
comment on column public.peer_mentors.status_changed_at is
    'When status last changed. NULL = unchanged since the column was added.';
comment on column public.peer_mentors.certification_expires_at is
    'When the mentor''s certification expires. NULL = no certification on record. The nightly '
    'certification job pauses active mentors whose certification has expired.';
create index peer_mentors_active_certification_expires_at_idx on public.peer_mentors using btree (certification_expires_at) where (status = 'active'::public.mentor_status);
create index peer_mentors_organisation_id_idx on public.peer_mentors using btree (organisation_id);
create index peer_mentors_soft_deleted_id_idx on public.peer_mentors using btree (id) where (deleted_at is not null);

create table public.chapter_memberships (
    mentor_id uuid not null,
    chapter_id uuid not null,
    created_at timestamp with time zone default now() not null,
    constraint chapter_memberships_pkey primary key (mentor_id, chapter_id),
    constraint chapter_memberships_chapter_id_fkey foreign key (chapter_id) references public.chapters(id) on delete cascade,
    constraint chapter_memberships_mentor_id_fkey foreign key (mentor_id) references public.peer_mentors(id) on delete cascade
);
alter table public.chapter_memberships enable row level security;
comment on table public.chapter_memberships is
    'Which chapters a peer mentor belongs to. A mentor may belong to several chapters.';
create index chapter_memberships_chapter_id_idx on public.chapter_memberships using btree (chapter_id);
create index chapter_memberships_chapter_id_mentor_id_idx on public.chapter_memberships using btree (chapter_id, mentor_id);

create table public.coordinator_assignments (
    user_id uuid not null,
    chapter_id uuid not null,
    assigned_at timestamp with time zone default now() not null,
    revoked_at timestamp with time zone,
    constraint coordinator_assignments_pkey primary key (user_id, chapter_id),
    constraint coordinator_assignments_chapter_id_fkey foreign key (chapter_id) references public.chapters(id) on delete cascade,
    constraint coordinator_assignments_user_id_fkey foreign key (user_id) references auth.users(id) on delete cascade
);
alter table public.coordinator_assignments enable row level security;
comment on table public.coordinator_assignments is
    'Which chapters a user coordinates. Only rows with revoked_at IS NULL are active.';
comment on column public.coordinator_assignments.revoked_at is
    'When the assignment ended. NULL = active; every check of a coordinator''s rights must filter on it.';
create index coordinator_assignments_chapter_id_idx on public.coordinator_assignments using btree (chapter_id);

-- Status: reason codes, rules, settings, history ------------------------------------------------------------
create table public.mentor_status_reason_codes (
    code text not null,
    actor_kind text not null,
    description text not null,
    constraint mentor_status_reason_codes_pkey primary key (code),
    constraint mentor_status_reason_codes_actor_kind_check check ((actor_kind = any (array['mentor'::text, 'coordinator'::text, 'system'::text]))),
    constraint mentor_status_reason_codes_code_check check ((code ~ '^[a-z][a-z0-9_]{2,62}$'::text))
);
alter table public.mentor_status_reason_codes enable row level security;
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

create table public.mentor_status_transitions (
    reason_code text not null,
    from_status public.mentor_status,
    to_status public.mentor_status not null,
    constraint mentor_status_transitions_key unique nulls not distinct (reason_code, from_status, to_status),
    constraint mentor_status_transitions_reason_code_fkey foreign key (reason_code) references public.mentor_status_reason_codes(code),
    constraint mentor_status_transitions_changes_status check ((from_status is distinct from to_status))
);
alter table public.mentor_status_transitions enable row level security;
comment on table public.mentor_status_transitions is
    'Which status changes each reason code allows. public.change_mentor_status and '
    'mentor_status_private.record_system_status_change refuse any other change (SQLSTATE MS409).';
comment on column public.mentor_status_transitions.reason_code is
    'The reason code the change is made with; its actor_kind says who may use it.';
comment on column public.mentor_status_transitions.from_status is
    'Status the mentor must have now. NULL only for initial_status: the first history record of a '
    'mentor, which has no previous status.';
comment on column public.mentor_status_transitions.to_status is
    'Status the mentor gets.';

create table public.mentor_status_rules (
    reason_code text not null,
    from_status public.mentor_status not null,
    pause_cause text,
    to_status public.mentor_status not null,
    actor text not null,
    requires_valid_certification boolean default false not null,
    constraint mentor_status_rules_key unique nulls not distinct (reason_code, from_status, pause_cause),
    constraint mentor_status_rules_pause_cause_fkey foreign key (pause_cause) references public.mentor_status_reason_codes(code),
    constraint mentor_status_rules_transition_fkey foreign key (reason_code, from_status, to_status) references public.mentor_status_transitions(reason_code, from_status, to_status),
    constraint mentor_status_rules_actor_check check ((actor = any (array['self'::text, 'coordinator'::text, 'system'::text]))),
    constraint mentor_status_rules_cause_exactly_when_paused check (((from_status = 'paused'::public.mentor_status) = (pause_cause is not null)))
);
alter table public.mentor_status_rules enable row level security;
comment on table public.mentor_status_rules is
    'Who may change a mentor''s status with which reason code, given the current status and, for a '
    'paused mentor, the cause of the pause. Anything not listed is refused by '
    'public.change_mentor_status and mentor_status_private.record_system_status_change (SQLSTATE MS412). '
    'Readable by every signed-in user (public.allowed_status_changes answers what the caller may do '
    'now); changed only by migration.';
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
    'Who may use the rule: self (the mentor about themself), coordinator (an active coordinator of one '
    'of the mentor''s chapters) or system (the service''s system path, changed_by NULL).';
comment on column public.mentor_status_rules.requires_valid_certification is
    'True when the change is allowed only while peer_mentors.certification_expires_at is in the future '
    '(certification_renewed).';

create table public.mentor_status_settings (
    singleton boolean default true not null,
    self_change_limit integer default 10 not null,
    self_change_window interval default '24:00:00'::interval not null,
    updated_at timestamp with time zone default now() not null,
    coordinator_change_limit integer default 100 not null,
    coordinator_change_window interval default '01:00:00'::interval not null,
    constraint mentor_status_settings_pkey primary key (singleton),
    constraint mentor_status_settings_coordinator_change_limit_check check ((coordinator_change_limit >= 0)),
    constraint mentor_status_settings_coordinator_change_window_check check ((coordinator_change_window > '00:00:00'::interval)),
    constraint mentor_status_settings_self_change_limit_check check ((self_change_limit >= 0)),
    constraint mentor_status_settings_self_change_window_check check ((self_change_window > '00:00:00'::interval)),
    constraint mentor_status_settings_singleton_check check (singleton)
);
alter table public.mentor_status_settings enable row level security;
comment on table public.mentor_status_settings is
    'Tunable limits of status changes, one row. Readable by every signed-in user; changed by the owner '
    '(a migration or the SQL editor), never through the API.';
comment on column public.mentor_status_settings.singleton is
    'Always true: the table has exactly one row.';
comment on column public.mentor_status_settings.self_change_limit is
    'How many changes a mentor may make to their own status within self_change_window (counted from the '
    'history: changed_by = the mentor''s user, mentor_id = their own). Coordinators have their own limit '
    '(coordinator_change_limit); the system is not limited. Over the limit public.change_mentor_status '
    'refuses with SQLSTATE MS429.';
comment on column public.mentor_status_settings.self_change_window is
    'The sliding window of self_change_limit.';
comment on column public.mentor_status_settings.updated_at is
    'When the settings were last changed (set it when you change them).';
comment on column public.mentor_status_settings.coordinator_change_limit is
    'How many status changes one coordinator may make within coordinator_change_window, whichever '
    'mentors (counted from the history: changed_by = the coordinator). Over it '
    'public.change_mentor_status refuses coordinator codes with SQLSTATE MS429. 0 switches '
    'coordinators'' changes off.';
comment on column public.mentor_status_settings.coordinator_change_window is
    'The sliding window of coordinator_change_limit.';

create table public.status_job_runs (
    id uuid default gen_random_uuid() not null,
    job_name text not null,
    as_of timestamp with time zone not null,
    batch_size integer not null,
    started_at timestamp with time zone default clock_timestamp() not null,
    heartbeat_at timestamp with time zone default clock_timestamp() not null,
    finished_at timestamp with time zone,
    outcome text default 'running'::text not null,
    mentors_paused integer default 0 not null,
    batches integer default 0 not null,
    error text,
    constraint status_job_runs_pkey primary key (id),
    constraint status_job_runs_batch_size_check check ((batch_size > 0)),
    constraint status_job_runs_batches_check check ((batches >= 0)),
    constraint status_job_runs_finished_when_not_running check (((outcome = 'running'::text) = (finished_at is null))),
    constraint status_job_runs_job_name_check check ((job_name ~ '^[a-z][a-z0-9_]{2,62}$'::text)),
    constraint status_job_runs_mentors_paused_check check ((mentors_paused >= 0)),
    constraint status_job_runs_outcome_check check ((outcome = any (array['running'::text, 'succeeded'::text, 'failed'::text])))
);
alter table public.status_job_runs enable row level security;
comment on table public.status_job_runs is
    'One row per run of an automated status job (e.g. certification_expiry): what it was asked to do, '
    'how far it got and how it ended. peer_mentor_status_history.job_run_id and '
    'coordinator_notifications.job_run_id point here.';
comment on column public.status_job_runs.job_name is
    'Which job ran, e.g. certification_expiry.';
comment on column public.status_job_runs.as_of is
    'The instant the job judged against (certifications expiring at or before it were expired). Not '
    'necessarily the wall clock: a run may be replayed for an earlier or later instant.';
comment on column public.status_job_runs.batch_size is
    'Most mentors one batch (one transaction) pauses.';
comment on column public.status_job_runs.heartbeat_at is
    'Last sign of life: set at the start and by every committed batch. A running run whose heartbeat is '
    'old was killed; the next run marks it failed (abandoned).';
comment on column public.status_job_runs.finished_at is
    'When the run ended. NULL exactly while outcome = running.';
comment on column public.status_job_runs.outcome is
    'running, succeeded or failed. A failed run may still have paused mentors in its committed batches: '
    'mentors_paused and the history rows with its job_run_id say which.';
comment on column public.status_job_runs.mentors_paused is
    'Mentors paused by the committed batches of this run (kept in step by each batch, in its '
    'transaction).';
comment on column public.status_job_runs.batches is
    'Committed batches that paused at least one mentor.';
comment on column public.status_job_runs.error is
    'Why the run failed: an error message, "cancelled", or "abandoned: ...". No personal data.';
create index status_job_runs_running_idx on public.status_job_runs using btree (job_name, heartbeat_at) where (outcome = 'running'::text);

create table public.peer_mentor_status_history (
    id uuid default gen_random_uuid() not null,
    mentor_id uuid not null,
    previous_status public.mentor_status,
    new_status public.mentor_status not null,
    changed_by uuid,
    changed_at timestamp with time zone default now() not null,
    reason text,
    job_run_id uuid,
    constraint peer_mentor_status_history_pkey primary key (id),
    constraint peer_mentor_status_history_changed_by_fkey foreign key (changed_by) references auth.users(id) on delete set null,
    constraint peer_mentor_status_history_mentor_id_fkey foreign key (mentor_id) references public.peer_mentors(id) on delete cascade,
    constraint peer_mentor_status_history_reason_fkey foreign key (reason) references public.mentor_status_reason_codes(code)
);
alter table public.peer_mentor_status_history enable row level security;
comment on table public.peer_mentor_status_history is
    'Append-only audit trail of peer mentor status changes, one row per change. Never updated or deleted '
    'by the application: the database refuses UPDATE, DELETE and TRUNCATE (SQLSTATE MS100) except the '
    'foreign keys'' own ON DELETE actions. Write it through public.change_mentor_status (users) or the '
    'system path (jobs).';
comment on column public.peer_mentor_status_history.id is
    'Identity of the history record.';
comment on column public.peer_mentor_status_history.mentor_id is
    'The mentor whose status changed. ON DELETE CASCADE exists for GDPR right-to-erasure hard deletes of '
    'a peer_mentors row only; soft delete (peer_mentors.deleted_at) is preferred and keeps the history.';
comment on column public.peer_mentor_status_history.previous_status is
    'Status before the change. NULL only for the initial status record of a mentor.';
comment on column public.peer_mentor_status_history.new_status is
    'Status after the change.';
comment on column public.peer_mentor_status_history.changed_by is
    'The auth user who made the change. NULL = automated system action (e.g. the certification expiry '
    'job, see job_run_id); also becomes NULL when that user is deleted (ON DELETE SET NULL).';
comment on column public.peer_mentor_status_history.changed_at is
    'When the change was made.';
comment on column public.peer_mentor_status_history.reason is
    'Why: one of the predefined codes in mentor_status_reason_codes (e.g. certification_expired, '
    'coordinator_manual_pause, self_pause). Free text is refused by the foreign key; never store health '
    'information or any other personal detail here.';
comment on column public.peer_mentor_status_history.job_run_id is
    'Run of the automated job (e.g. CertificationExpiryJob) that made the change, to correlate bulk '
    'changes. NULL for changes made by a person.';
create index peer_mentor_status_history_changed_by_changed_at_idx on public.peer_mentor_status_history using btree (changed_by, changed_at desc) where (changed_by is not null);
create index peer_mentor_status_history_changed_by_idx on public.peer_mentor_status_history using btree (changed_by) where (changed_by is not null);
create index peer_mentor_status_history_job_run_id_idx on public.peer_mentor_status_history using btree (job_run_id) where (job_run_id is not null);
create index peer_mentor_status_history_mentor_id_changed_at_idx on public.peer_mentor_status_history using btree (mentor_id, changed_at desc);

create table public.system_status_change_sources (
    history_id uuid not null,
    mentor_id uuid not null,
    service text,
    database_role text not null,
    application_name text,
    recorded_at timestamp with time zone default clock_timestamp() not null,
    constraint system_status_change_sources_pkey primary key (history_id),
    constraint system_status_change_sources_mentor_id_fkey foreign key (mentor_id) references public.peer_mentors(id) on delete cascade,
    constraint system_status_change_sources_service_check check ((service ~ '^[a-z][a-z0-9_.-]{1,62}$'::text))
);
alter table public.system_status_change_sources enable row level security;
comment on table public.system_status_change_sources is
    'Who made a system status change (peer_mentor_status_history row with changed_by NULL) that no job '
    'run made, or that named its service: written by mentor_status_private.record_system_status_change '
    'with the history row. Append-only (MS100; removed only by the cascade of the mentor''s hard delete, '
    'with the history). service_role reads.';
comment on column public.system_status_change_sources.history_id is
    'The history row (peer_mentor_status_history.id).';
comment on column public.system_status_change_sources.mentor_id is
    'The mentor of the history row: the source goes with the mentor''s hard delete (ON DELETE CASCADE).';
comment on column public.system_status_change_sources.service is
    'The service''s own name, as it passed it (p_service); NULL when it gave none (then database_role '
    'and application_name say what the database knows).';
comment on column public.system_status_change_sources.database_role is
    'The role the session acted as (SET ROLE, e.g. service_role), else the login role.';
comment on column public.system_status_change_sources.application_name is
    'The session''s application_name, as the client set it (NULL when empty).';

-- Coordinator notifications: outbox, per-channel deliveries, in-app inbox -----------------------------------
create table public.coordinator_notifications (
    id uuid default gen_random_uuid() not null,
    job_run_id uuid not null,
    coordinator_user_id uuid not null,
    mentor_ids uuid[] not null,
    fallback_mentor_ids uuid[] default '{}'::uuid[] not null,
    fell_back_to_organisation boolean generated always as (cardinality(fallback_mentor_ids) > 0) stored,
    status text default 'pending'::text not null,
    attempts integer default 0 not null,
    next_attempt_at timestamp with time zone default now() not null,
    sent_at timestamp with time zone,
    last_error text,
    created_at timestamp with time zone default now() not null,
    updated_at timestamp with time zone default now() not null,
    constraint coordinator_notifications_pkey primary key (id),
    constraint coordinator_notifications_one_per_coordinator_per_run unique (job_run_id, coordinator_user_id),
    constraint coordinator_notifications_coordinator_user_id_fkey foreign key (coordinator_user_id) references auth.users(id) on delete cascade,
    constraint coordinator_notifications_job_run_id_fkey foreign key (job_run_id) references public.status_job_runs(id) on delete cascade,
    constraint coordinator_notifications_attempts_check check ((attempts >= 0)),
    constraint coordinator_notifications_fallback_subset check ((fallback_mentor_ids <@ mentor_ids)),
    constraint coordinator_notifications_mentor_ids_check check ((cardinality(mentor_ids) > 0)),
    constraint coordinator_notifications_sent_at check (((status = 'sent'::text) = (sent_at is not null))),
    constraint coordinator_notifications_status_check check ((status = any (array['pending'::text, 'sending'::text, 'sent'::text, 'failed'::text])))
);
alter table public.coordinator_notifications enable row level security;
comment on table public.coordinator_notifications is
    'Outbox: one notification per coordinator per job run, listing the mentors the run paused that this '
    'coordinator looks after. Written when the run leaves running (trigger on status_job_runs, from the '
    'run''s history rows, in the transaction that ends the run); delivered by the dispatcher once the '
    'run is no longer running.';
comment on column public.coordinator_notifications.id is
    'Identity of the notification; also the idempotency key handed to the sender, so that a receiver can '
    'drop a redelivery after a crash between sending and recording it.';
comment on column public.coordinator_notifications.coordinator_user_id is
    'The coordinator (auth user) to notify.';
comment on column public.coordinator_notifications.mentor_ids is
    'The paused mentors this coordinator is told about: sorted, distinct, merged across batches.';
comment on column public.coordinator_notifications.fallback_mentor_ids is
    'The subset of mentor_ids that reached this coordinator by the organisation fallback: none of the '
    'mentor''s chapters had an active coordinator, so every active coordinator of the organisation is '
    'told.';
comment on column public.coordinator_notifications.fell_back_to_organisation is
    'True when at least one mentor reached this coordinator by the organisation fallback (derived).';
comment on column public.coordinator_notifications.status is
    'pending (to send), sending (claimed by a dispatcher until next_attempt_at; then claimable again), '
    'sent, failed (gave up after the maximum attempts).';
comment on column public.coordinator_notifications.attempts is
    'Delivery attempts started so far (a claim counts as an attempt).';
comment on column public.coordinator_notifications.next_attempt_at is
    'pending: not before this instant (exponential backoff after a failure). sending: the claim expires '
    'at this instant and another dispatcher may retry.';
comment on column public.coordinator_notifications.sent_at is
    'When the sender accepted the notification. Set exactly when status = sent.';
comment on column public.coordinator_notifications.last_error is
    'Error of the last failed attempt, from the sender. No personal data.';
create index coordinator_notifications_coordinator_user_id_idx on public.coordinator_notifications using btree (coordinator_user_id);
create index coordinator_notifications_due_order_idx on public.coordinator_notifications using btree (next_attempt_at, id) where (status = any (array['pending'::text, 'sending'::text]));

create table public.coordinator_notification_deliveries (
    notification_id uuid not null,
    channel text not null,
    outcome text not null,
    attempts integer default 1 not null,
    last_error text,
    delivered_at timestamp with time zone,
    updated_at timestamp with time zone default now() not null,
    constraint coordinator_notification_deliveries_pkey primary key (notification_id, channel),
    constraint coordinator_notification_deliveries_notification_id_fkey foreign key (notification_id) references public.coordinator_notifications(id) on delete cascade,
    constraint coordinator_notification_deliveries_attempts_check check ((attempts > 0)),
    constraint coordinator_notification_deliveries_channel_check check ((channel ~ '^[a-z][a-z0-9_]{1,30}$'::text)),
    constraint coordinator_notification_deliveries_delivered_at check (((outcome = 'delivered'::text) = (delivered_at is not null))),
    constraint coordinator_notification_deliveries_outcome_check check ((outcome = any (array['delivered'::text, 'no_address'::text, 'retrying'::text, 'failed'::text])))
);
alter table public.coordinator_notification_deliveries enable row level security;
comment on table public.coordinator_notification_deliveries is
    'What each channel (inbox, email, webhook, console) did with each notification. Written by the '
    'dispatcher with its mark, in the same statement. A retry skips the channels whose outcome is '
    'delivered or no_address, so a coordinator who already has the email does not get it again when only '
    'the webhook failed.';
comment on column public.coordinator_notification_deliveries.outcome is
    'delivered (the channel accepted it), no_address (email: the coordinator has no email address; '
    'final), retrying (failed, will be tried again), failed (given up: a permanent refusal or the '
    'maximum attempts).';
comment on column public.coordinator_notification_deliveries.attempts is
    'Times this channel was tried for this notification.';
comment on column public.coordinator_notification_deliveries.last_error is
    'The channel''s last error (status code and message). No personal data.';

create table public.coordinator_inbox (
    notification_id uuid not null,
    user_id uuid not null,
    job_run_id uuid not null,
    reason text not null,
    mentor_ids uuid[] not null,
    fallback_mentor_ids uuid[] default '{}'::uuid[] not null,
    created_at timestamp with time zone default now() not null,
    read_at timestamp with time zone,
    constraint coordinator_inbox_pkey primary key (notification_id),
    constraint coordinator_inbox_job_run_id_fkey foreign key (job_run_id) references public.status_job_runs(id) on delete cascade,
    constraint coordinator_inbox_notification_id_fkey foreign key (notification_id) references public.coordinator_notifications(id) on delete cascade,
    constraint coordinator_inbox_reason_fkey foreign key (reason) references public.mentor_status_reason_codes(code),
    constraint coordinator_inbox_user_id_fkey foreign key (user_id) references auth.users(id) on delete cascade,
    constraint coordinator_inbox_mentor_ids_check check ((cardinality(mentor_ids) > 0))
);
alter table public.coordinator_inbox enable row level security;
comment on table public.coordinator_inbox is
    'The in-app notification channel: one row per coordinator and notification (the notification id is '
    'the key, so neither a redelivery nor the dispatcher after the database adds a second row). Written '
    'when a certification-expiry run finishes (trigger on status_job_runs) and by the dispatcher''s '
    'inbox channel (table owner) for any notification that has none. A coordinator reads only their own '
    'rows (RLS) and marks them read only through mark_notification_read(). In the supabase_realtime '
    'publication where that exists, so the app gets new rows live.';
comment on column public.coordinator_inbox.user_id is
    'The coordinator this row is for (auth.users.id).';
comment on column public.coordinator_inbox.reason is
    'Why the mentors changed status: a reason code; the app shows its description, never free text.';
comment on column public.coordinator_inbox.mentor_ids is
    'The mentors this notification is about. The app reads their names through peer_mentors under its '
    'own RLS.';
comment on column public.coordinator_inbox.fallback_mentor_ids is
    'The mentors of mentor_ids that reached this coordinator only because none of their chapters had an '
    'active coordinator (organisation fallback).';
comment on column public.coordinator_inbox.read_at is
    'When the coordinator marked it read (mark_notification_read); NULL = unread.';
create index coordinator_inbox_job_run_id_idx on public.coordinator_inbox using btree (job_run_id);
create index coordinator_inbox_user_id_created_at_idx on public.coordinator_inbox using btree (user_id, created_at desc);

-- Erasure records -------------------------------------------------------------------------------------------
create table public.mentor_erasures (
    id uuid default gen_random_uuid() not null,
    erased_at timestamp with time zone default clock_timestamp() not null,
    erased_by uuid,
    database_role text not null,
    organisation_id uuid not null,
    history_rows integer not null,
    constraint mentor_erasures_pkey primary key (id),
    constraint mentor_erasures_history_rows_check check ((history_rows >= 0))
);
alter table public.mentor_erasures enable row level security;
comment on table public.mentor_erasures is
    'One row per hard-deleted peer mentor (right to erasure): the history rows that went with the '
    'mentor, when, and who deleted it, so an audit sees that history vanished. Holds nothing about the '
    'person (no name, email or mentor id). Written by a trigger on peer_mentors; append-only (MS100); '
    'service_role reads.';
comment on column public.mentor_erasures.erased_by is
    'auth.uid() of the session that deleted the mentor; NULL for the service and the owner (see '
    'database_role). No foreign key: the record outlives the user.';
comment on column public.mentor_erasures.database_role is
    'The role the session acted as (SET ROLE, e.g. service_role), else the login role.';
comment on column public.mentor_erasures.organisation_id is
    'The organisation the mentor belonged to (not personal data; no foreign key, the record outlives it).';
comment on column public.mentor_erasures.history_rows is
    'How many peer_mentor_status_history rows the delete removed (counted as the delete began, with the '
    'row locked).';
