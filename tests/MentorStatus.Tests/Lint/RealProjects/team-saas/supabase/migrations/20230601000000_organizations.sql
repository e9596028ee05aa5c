create extension if not exists "uuid-ossp" with schema extensions;

create table public.organizations (
  id uuid primary key default uuid_generate_v4(),
  name text not null check (length(name) between 1 and 100),
  slug text not null unique,
  created_at timestamptz not null default now()
);
comment on table public.organizations is 'Customer organisations; members see their own.';
alter table public.organizations enable row level security;
