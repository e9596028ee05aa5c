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
