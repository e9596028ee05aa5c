-- requires: 20261101000200
-- The per-user rate limits count one user's changes in a recent window (changed_by, changed_at > t): with
-- (changed_by, changed_at desc) that count reads only the index entries inside the window, never the
-- user's whole history. Partial like the changed_by index it extends: system rows have no changed_by.
-- Built CONCURRENTLY, so it stays alone in its file and runs without a transaction.
create index concurrently if not exists peer_mentor_status_history_changed_by_changed_at_idx on public.peer_mentor_status_history (changed_by, changed_at desc) where changed_by is not null;
