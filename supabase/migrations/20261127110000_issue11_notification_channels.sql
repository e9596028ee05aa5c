-- requires: 20261101000500
-- issue 11: notifications that reach coordinators.
--   * organisations.language      the language of the messages (NULL = Norwegian Bokmål, the seed's organisations)
--   * coordinator_inbox           the in-app channel: one row per coordinator and notification, read through
--                                 PostgREST under RLS (own rows only), live through Supabase Realtime
--   * mark_notification_read()    the one write a coordinator may make to the inbox
--   * coordinator_notification_deliveries
--                                 the outcome of each channel for each notification, so that a retry
--                                 redoes only the channels that have not delivered (no duplicate email)

-- Per-channel outcome ----------------------------------------------------------------------------------
create table public.coordinator_notification_deliveries (
    notification_id uuid not null references public.coordinator_notifications (id) on delete cascade,
    channel text not null check (channel ~ '^[a-z][a-z0-9_]{1,30}$'),
    outcome text not null check (outcome in ('delivered', 'no_address', 'retrying', 'failed')),
    attempts integer not null default 1 check (attempts > 0),
    last_error text null,
    delivered_at timestamptz null,
    updated_at timestamptz not null default now(),
    primary key (notification_id, channel),
    constraint coordinator_notification_deliveries_delivered_at check ((outcome = 'delivered') = (delivered_at is not null))
);

comment on table public.coordinator_notification_deliveries is
    'What each channel (inbox, email, webhook, console) did with each notification. Written by the dispatcher '
    'with its mark, in the same statement. A retry skips the channels whose outcome is delivered or no_address, '
    'so a coordinator who already has the email does not get it again when only the webhook failed.';
comment on column public.coordinator_notification_deliveries.outcome is
    'delivered (the channel accepted it), no_address (email: the coordinator has no email address; final), '
    'retrying (failed, will be tried again), failed (given up: a permanent refusal or the maximum attempts).';
comment on column public.coordinator_notification_deliveries.attempts is
    'Times this channel was tried for this notification.';
comment on column public.coordinator_notification_deliveries.last_error is
    'The channel''s last error (status code and message). No personal data.';

revoke all on table public.coordinator_notification_deliveries from public, anon, authenticated, service_role;
grant select on table public.coordinator_notification_deliveries to service_role;
alter table public.coordinator_notification_deliveries enable row level security;

-- In-app inbox -----------------------------------------------------------------------------------------
create table public.coordinator_inbox (
    notification_id uuid primary key references public.coordinator_notifications (id) on delete cascade,
    user_id uuid not null references auth.users (id) on delete cascade,
    job_run_id uuid not null references public.status_job_runs (id) on delete cascade,
    reason text not null references public.mentor_status_reason_codes (code),
    mentor_ids uuid[] not null check (cardinality(mentor_ids) > 0),
    fallback_mentor_ids uuid[] not null default '{}',
    created_at timestamptz not null default now(),
    read_at timestamptz null
);

comment on table public.coordinator_inbox is
    'The in-app notification channel: one row per coordinator and notification (the notification id is the '
    'key, so a redelivery after a crash adds nothing). A coordinator reads only their own rows (RLS) and marks '
    'them read only through mark_notification_read(). Written by the dispatcher (table owner) only. '
    'In the supabase_realtime publication where that exists, so the app gets new rows live.';
comment on column public.coordinator_inbox.user_id is
    'The coordinator this row is for (auth.users.id).';
comment on column public.coordinator_inbox.reason is
    'Why the mentors changed status: a reason code; the app shows its description, never free text.';
comment on column public.coordinator_inbox.mentor_ids is
    'The mentors this notification is about. The app reads their names through peer_mentors under its own RLS.';
comment on column public.coordinator_inbox.fallback_mentor_ids is
    'The mentors of mentor_ids that reached this coordinator only because none of their chapters had an '
    'active coordinator (organisation fallback).';
comment on column public.coordinator_inbox.read_at is
    'When the coordinator marked it read (mark_notification_read); NULL = unread.';

-- The app's query: my notifications, newest first.
create index coordinator_inbox_user_id_created_at_idx
    on public.coordinator_inbox (user_id, created_at desc);

create index coordinator_inbox_job_run_id_idx
    on public.coordinator_inbox (job_run_id);

-- Supabase's default privileges granted everything to the API roles: take it back. A coordinator
-- reads (RLS: own rows); no API role inserts, updates or deletes; service_role reads for support.
revoke all on table public.coordinator_inbox from public, anon, authenticated, service_role;
grant select on table public.coordinator_inbox to authenticated, service_role;
alter table public.coordinator_inbox enable row level security;

create policy coordinator_inbox_read_own
    on public.coordinator_inbox
    for select
    to authenticated
    using (user_id = (select auth.uid()));

-- Marking read ----------------------------------------------------------------------------------------
-- Why an rpc over a private definer function, not an UPDATE grant with a policy: an UPDATE grant (even
-- limited to read_at) lets PostgREST PATCH set any instant or clear it for every own row at once; the
-- function does exactly one thing (first read wins) and the table keeps no write privilege for the API.
create function mentor_status_private.mark_inbox_row_read(p_notification_id uuid)
returns timestamptz
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    v_read_at timestamptz;
begin
    update public.coordinator_inbox i
    set read_at = coalesce(i.read_at, pg_catalog.now())
    where i.notification_id = p_notification_id
      and i.user_id = auth.uid()
    returning i.read_at into v_read_at;
    if v_read_at is null then
        -- the same error for "no such notification" and "not yours": existence is not leaked
        raise exception 'notification % not found', p_notification_id
            using errcode = 'MS404', hint = 'Use the notification_id of a row of your own coordinator_inbox.';
    end if;
    return v_read_at;
end;
$$;

comment on function mentor_status_private.mark_inbox_row_read(uuid) is
    'Marks one of the current user''s (auth.uid()) inbox rows read; a second call keeps the first read_at. '
    'MS404 when the row does not exist or is someone else''s. Called through public.mark_notification_read.';

create function public.mark_notification_read(p_notification_id uuid)
returns timestamptz
language sql
volatile
security invoker
set search_path = pg_catalog, pg_temp
as $$
    select mentor_status_private.mark_inbox_row_read(p_notification_id)
$$;

comment on function public.mark_notification_read(uuid) is
    'rpc for the app: mark one of my in-app notifications (coordinator_inbox.notification_id) read; returns '
    'read_at. Raises MS404 for a notification that is not mine.';

revoke all on function mentor_status_private.mark_inbox_row_read(uuid) from public, anon, authenticated, service_role;
revoke all on function public.mark_notification_read(uuid) from public, anon, authenticated, service_role;
grant execute on function mentor_status_private.mark_inbox_row_read(uuid) to authenticated;
grant execute on function public.mark_notification_read(uuid) to authenticated;

-- Realtime ---------------------------------------------------------------------------------------------
-- Supabase creates the publication supabase_realtime; plain PostgreSQL has none. Add the inbox only
-- where it exists and lists its tables (a FOR ALL TABLES publication has it already).
do $$
begin
    if exists (select 1 from pg_catalog.pg_publication p where p.pubname = 'supabase_realtime' and not p.puballtables) then
        alter publication supabase_realtime add table public.coordinator_inbox;
    end if;
end;
$$;

-- Language of an organisation's messages ------------------------------------------------------------
-- Nullable without a default: adding it rewrites nothing and locks organisations only for a moment.
-- Last in the file, so the ACCESS EXCLUSIVE lock it takes is held for no other statement.
alter table public.organisations
    add column language text null;

alter table public.organisations
    add constraint organisations_language_supported check (language in ('nb', 'en')) not valid;

comment on column public.organisations.language is
    'Language of the notifications sent to this organisation''s coordinators: nb (Norwegian Bokmål) or en '
    '(English). NULL means nb, the language of the Norwegian peer-support organisations this serves.';
