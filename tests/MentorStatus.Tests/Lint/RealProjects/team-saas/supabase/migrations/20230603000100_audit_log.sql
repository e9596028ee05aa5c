set lock_timeout = '5s';

create table public.audit_events (
  id bigint generated always as identity primary key,
  org_id uuid not null,
  actor uuid,
  action text not null,
  detail jsonb not null default '{}'::jsonb,
  at timestamptz not null default now()
);
alter table public.audit_events enable row level security;
revoke all on table public.audit_events from anon, authenticated;
grant select on table public.audit_events to authenticated;

create policy "Admins read their organisation's audit events" on public.audit_events
  for select to authenticated using ((select private.is_admin_of(org_id)));

create function private.record_membership_change()
returns trigger
language plpgsql
security definer set search_path = pg_catalog, pg_temp
as $$
begin
  insert into public.audit_events (org_id, actor, action, detail)
  values (coalesce(new.org_id, old.org_id), (select auth.uid()), lower(tg_op), jsonb_build_object('user_id', coalesce(new.user_id, old.user_id)));
  return coalesce(new, old);
end;
$$;

create trigger memberships_audit
  after insert or update or delete on public.memberships
  for each row execute function private.record_membership_change();
