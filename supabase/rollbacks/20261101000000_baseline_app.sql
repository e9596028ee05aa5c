-- Rollback of 20261101000000_baseline_app: drops the baseline application tables.
-- Destroys all application data: only for local and test databases.

drop table public.coordinator_assignments;
drop table public.chapter_memberships;
drop table public.peer_mentors;
drop table public.chapters;
drop table public.organisations;
