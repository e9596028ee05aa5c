set lock_timeout = '5s';

-- A nullable column and a NOT VALID check in one statement: no rewrite, no scan; validated in a later migration.
alter table public.organizations
  add column plan text,
  add constraint organizations_plan_known check (plan in ('free', 'pro', 'enterprise')) not valid;
