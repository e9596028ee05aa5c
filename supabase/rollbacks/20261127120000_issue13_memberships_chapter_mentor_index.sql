-- Rollback of 20261127120000_issue13_memberships_chapter_mentor_index: alone, like the build.
drop index concurrently if exists public.chapter_memberships_chapter_id_mentor_id_idx;
