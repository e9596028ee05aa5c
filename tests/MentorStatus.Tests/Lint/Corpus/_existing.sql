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

-- An indexed varchar column (type changes that keep or rebuild the index file) and a second index to drop.
alter table public.things add column sku varchar(20);
create index things_sku_idx on public.things (sku);
create index things_owner_id_idx on public.things (owner_id);

-- A materialized view outside the API's schemas, with the unique index a concurrent refresh needs.
create schema reporting;
create materialized view reporting.thing_counts as select owner_id, count(*) as things from public.things group by owner_id;
create unique index thing_counts_owner_idx on reporting.thing_counts (owner_id);

-- A partitioned table with a partition to detach.
create table public.events (id bigint not null, at date not null) partition by range (at);
create table public.events_2025 partition of public.events for values from ('2025-01-01') to ('2026-01-01');
alter table public.events enable row level security;
alter table public.events_2025 enable row level security;

-- A domain that a column of an existing table uses.
create domain public.short_label as text;
alter table public.owners add column label public.short_label;

-- An RPC entry point that runs as its owner, which the API roles may call (Supabase's default privileges on public).
create function public.thing_total() returns bigint language sql stable security definer set search_path = pg_catalog, pg_temp
as $$ select count(*) from public.things $$;
