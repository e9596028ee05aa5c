set lock_timeout = '5s';

create table public.invitations (
  id uuid primary key default uuid_generate_v4(),
  org_id uuid not null references public.organizations (id) on delete cascade,
  email text not null,
  role public.org_role not null default 'member',
  token text not null unique default encode(extensions.gen_random_bytes(24), 'base64'),
  expires_at timestamptz not null default now() + interval '7 days',
  accepted_at timestamptz
);
alter table public.invitations enable row level security;

create policy "Admins see invitations" on public.invitations
  for select to authenticated using ((select private.is_admin_of(org_id)));

create policy "Admins invite" on public.invitations
  for insert to authenticated with check ((select private.is_admin_of(org_id)));

create policy "Admins withdraw invitations" on public.invitations
  for delete to authenticated using ((select private.is_admin_of(org_id)));
