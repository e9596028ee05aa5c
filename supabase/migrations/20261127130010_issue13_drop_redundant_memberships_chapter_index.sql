-- requires: 20261127120000
-- issue 13, item 1 (round 4): chapter_memberships (chapter_id) is redundant next to (chapter_id, mentor_id)
-- of 20261127120000. Every lookup by chapter (the helpers' and the expiry job's joins from
-- coordinator_assignments, the policy's "chapter_id = any (…)", the ON DELETE CASCADE from chapters and
-- the foreign key's checks) uses a prefix of the composite index; at 10 M history rows / 220 000
-- memberships the bench's timeline case scanned the single-column index 0 times against 348 112 for the
-- composite (pg_stat_user_indexes), and EXPLAIN of those statements picks the composite once it is gone
-- (BENCHMARKS.md, "Issue 13 item 1, round 4"). One index less for every membership write to maintain.
-- CONCURRENTLY: alone in its file, without a transaction, no ACCESS EXCLUSIVE lock on the table.
drop index concurrently if exists public.chapter_memberships_chapter_id_idx;
