set lock_timeout = '5s';

create table public.notifications (
  id uuid primary key default uuid_generate_v4(),
  user_id uuid not null references auth.users (id) on delete cascade,
  kind text not null,
  payload jsonb not null default '{}'::jsonb,
  read_at timestamptz,
  created_at timestamptz not null default now()
);
create index notifications_user_id_idx on public.notifications (user_id) where read_at is null;

alter table public.notifications enable row level security;

-- The user id straight from the JWT claims.
create policy "Users read their notifications" on public.notifications
  for select to authenticated using (((select auth.jwt()) ->> 'sub')::uuid = user_id);

create policy "Users mark their notifications read" on public.notifications
  for update to authenticated
  using (((select auth.jwt()) ->> 'sub')::uuid = user_id)
  with check (((select auth.jwt()) ->> 'sub')::uuid = user_id);
