set lock_timeout = '5s';

create policy "Members read their organisations" on public.organizations
  for select to authenticated using ((select private.is_member_of(id)));

create policy "Admins rename their organisations" on public.organizations
  for update to authenticated using ((select private.is_admin_of(id)));

create policy "Members see co-members" on public.memberships
  for select to authenticated using ((select private.is_member_of(org_id)));

create policy "Admins manage memberships" on public.memberships
  for delete to authenticated using ((select private.is_admin_of(org_id)));
