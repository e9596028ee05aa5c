-- requires: 20261101000200
-- task-002: timeline index of peer_mentor_status_history, for
--   select ... where mentor_id = $1 order by changed_at desc
-- (it also serves the mentor_id foreign key's ON DELETE CASCADE).
-- Built CONCURRENTLY so that production writes are not blocked. CREATE INDEX CONCURRENTLY cannot
-- run inside a transaction, so this statement stays ALONE in its file and runs without one.
-- If a build fails it leaves an INVALID index that "if not exists" would accept: the migration
-- runner checks pg_index.indisvalid, drops an invalid index concurrently and builds it again.
create index concurrently if not exists peer_mentor_status_history_mentor_id_changed_at_idx on public.peer_mentor_status_history (mentor_id, changed_at desc);
