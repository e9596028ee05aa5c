-- For the members page: reads memberships with the caller's rights (its policies apply).
create view public.org_members
with (security_invoker = on)
as
  select m.org_id, m.user_id, m.role, m.created_at
  from public.memberships m;
