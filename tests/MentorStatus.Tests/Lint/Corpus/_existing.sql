-- The schema every corpus migration runs on top of (applied, not linted): tables that "existed before".
create table public.owners (id uuid primary key);
alter table public.owners enable row level security;

create table public.things (
    id bigint primary key,
    name text,
    owner_id uuid,
    created_at timestamptz not null default now()
);
alter table public.things enable row level security;

create table public.audit_log (id bigint primary key, note text);
comment on table public.audit_log is 'Append-only log of changes to things: never updated or deleted.';
alter table public.audit_log enable row level security;
