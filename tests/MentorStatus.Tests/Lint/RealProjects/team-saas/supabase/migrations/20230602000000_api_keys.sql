set lock_timeout = '5s';

create table public.api_keys (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.organizations (id) on delete cascade,
  prefix text not null default encode(gen_random_bytes(6), 'hex'),
  key_hash text not null,
  created_by uuid references auth.users (id) on delete set null,
  revoked_at timestamptz,
  created_at timestamptz not null default now()
);
create index api_keys_org_id_idx on public.api_keys (org_id);
alter table public.api_keys enable row level security;

-- The organisation comes from the JWT's app_metadata, set by the backend at sign-in.
create policy "Org admins see their keys" on public.api_keys
  for select to authenticated
  using (org_id::text = (select auth.jwt()) -> 'app_metadata' ->> 'org_id'
         and (select auth.jwt()) -> 'app_metadata' ->> 'org_role' in ('owner', 'admin'));

-- Hashes a new key with pgcrypto; runs with the caller's rights, so the policy below decides.
create function public.hash_api_key(secret text)
returns text
language sql immutable
set search_path = pg_catalog, extensions, pg_temp
as $$ select encode(digest(secret, 'sha256'), 'hex') $$;

create policy "Org admins create keys" on public.api_keys
  for insert to authenticated
  with check ((select private.is_admin_of(org_id)));
