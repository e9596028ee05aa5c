set lock_timeout = '5s';

create type public.org_role as enum ('owner', 'admin', 'member');

create table public.memberships (
  org_id uuid not null references public.organizations (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  role public.org_role not null default 'member',
  created_at timestamptz not null default now(),
  primary key (org_id, user_id)
);
alter table public.memberships enable row level security;

-- Membership checks for the policies, in a schema the API does not expose (definer: no policy recursion).
create schema private;

create function private.is_member_of(org uuid)
returns boolean
language sql stable
security definer set search_path = pg_catalog, pg_temp
as $$
  select exists (select 1 from public.memberships m where m.org_id = org and m.user_id = (select auth.uid()));
$$;

create function private.is_admin_of(org uuid)
returns boolean
language sql stable
security definer set search_path = pg_catalog, pg_temp
as $$
  select exists (select 1 from public.memberships m
                 where m.org_id = org and m.user_id = (select auth.uid()) and m.role in ('owner', 'admin'));
$$;

grant usage on schema private to authenticated;
