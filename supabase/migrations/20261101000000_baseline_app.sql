-- Baseline: the application schema that already exists before the mentor-status work.
-- Organisations have chapters; a peer mentor belongs to one organisation and to one or more
-- chapters; a coordinator (an auth user) looks after one or more chapters.
--
-- Row-level security: Supabase's default privileges grant ALL on every new table in public to
-- anon, authenticated and service_role, so each table below would be readable and writable
-- through PostgREST the moment it is created. Enabling RLS without any policy denies every row
-- to anon and authenticated (service_role bypasses RLS); the read policies arrive in task-003.

create table public.organisations (
    id uuid primary key default gen_random_uuid(),
    name text not null,
    created_at timestamptz not null default now()
);

comment on table public.organisations is
    'A volunteer organisation. Owns chapters and peer mentors.';

create table public.chapters (
    id uuid primary key default gen_random_uuid(),
    organisation_id uuid not null references public.organisations (id),
    name text not null,
    created_at timestamptz not null default now()
);

comment on table public.chapters is
    'A local chapter of an organisation. Mentors are members of chapters; coordinators look after chapters.';

create index chapters_organisation_id_idx on public.chapters (organisation_id);

create table public.peer_mentors (
    id uuid primary key default gen_random_uuid(),
    user_id uuid null unique references auth.users (id) on delete set null,
    organisation_id uuid not null references public.organisations (id),
    display_name text not null,
    created_at timestamptz not null default now(),
    deleted_at timestamptz null
);

comment on table public.peer_mentors is
    'A peer mentor of an organisation. Prefer soft delete (deleted_at); a hard delete is for '
    'right-to-erasure requests only.';
comment on column public.peer_mentors.user_id is
    'The mentor''s login (auth.users.id). NULL when the mentor has no login or the user was deleted. '
    'Unique: one mentor record per user.';
comment on column public.peer_mentors.deleted_at is
    'Soft delete: when set, the mentor is gone for the application. Readers must filter on it.';

-- user_id has the index of its unique constraint.
create index peer_mentors_organisation_id_idx on public.peer_mentors (organisation_id);

create table public.chapter_memberships (
    mentor_id uuid not null references public.peer_mentors (id) on delete cascade,
    chapter_id uuid not null references public.chapters (id) on delete cascade,
    created_at timestamptz not null default now(),
    primary key (mentor_id, chapter_id)
);

comment on table public.chapter_memberships is
    'Which chapters a peer mentor belongs to. A mentor may belong to several chapters.';

-- mentor_id leads the primary key; chapter_id needs its own index (joins from a coordinator's
-- chapters to their mentors, and the cascade from chapters).
create index chapter_memberships_chapter_id_idx on public.chapter_memberships (chapter_id);

create table public.coordinator_assignments (
    user_id uuid not null references auth.users (id) on delete cascade,
    chapter_id uuid not null references public.chapters (id) on delete cascade,
    assigned_at timestamptz not null default now(),
    revoked_at timestamptz null,
    primary key (user_id, chapter_id)
);

comment on table public.coordinator_assignments is
    'Which chapters a user coordinates. Only rows with revoked_at IS NULL are active.';
comment on column public.coordinator_assignments.revoked_at is
    'When the assignment ended. NULL = active; every check of a coordinator''s rights must filter on it.';

-- user_id leads the primary key; chapter_id needs its own index (who coordinates this chapter,
-- and the cascade from chapters).
create index coordinator_assignments_chapter_id_idx on public.coordinator_assignments (chapter_id);

alter table public.organisations enable row level security;
alter table public.chapters enable row level security;
alter table public.peer_mentors enable row level security;
alter table public.chapter_memberships enable row level security;
alter table public.coordinator_assignments enable row level security;
