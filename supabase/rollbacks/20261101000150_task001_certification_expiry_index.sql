-- Rollback of 20261101000150_task001_certification_expiry_index.sql: alone, like the build.
drop index concurrently if exists public.peer_mentors_active_certification_expires_at_idx;
