-- requires: 20261101000100
-- task-001: the index of the nightly certification job (active mentors by expiry instant).
-- peer_mentors exists in production before this migration, so the index is built CONCURRENTLY:
-- writes to peer_mentors go on while it builds. That cannot run in a transaction, so this statement
-- stays alone in its file; an INVALID index left by a failed build is dropped and rebuilt by the runner.
create index concurrently if not exists peer_mentors_active_certification_expires_at_idx on public.peer_mentors (certification_expires_at) where status = 'active';
