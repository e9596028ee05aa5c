set lock_timeout = '5s';

create extension if not exists moddatetime with schema extensions;

create table public.usage_counters (
  org_id uuid primary key references public.organizations (id) on delete cascade,
  api_calls bigint not null default 0,
  updated_at timestamptz not null default now()
);
alter table public.usage_counters enable row level security;

create policy "Members read their usage" on public.usage_counters
  for select to authenticated using ((select private.is_member_of(org_id)));

create trigger usage_counters_updated_at
  before update on public.usage_counters
  for each row execute procedure extensions.moddatetime(updated_at);
