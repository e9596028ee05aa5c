-- SHARE UPDATE EXCLUSIVE only: reads and writes go on while the rows are checked.
alter table public.organizations validate constraint organizations_plan_known;
