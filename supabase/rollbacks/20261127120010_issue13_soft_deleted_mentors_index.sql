-- Rollback of 20261127120010_issue13_soft_deleted_mentors_index: alone, like the build.
drop index concurrently if exists public.peer_mentors_soft_deleted_id_idx;
