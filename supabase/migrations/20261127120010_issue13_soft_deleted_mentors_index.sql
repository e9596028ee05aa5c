-- requires: 20261101000000
-- issue 13, item 1: the membership helpers leave soft-deleted mentors out. Instead of fetching every
-- member's peer_mentors row to read deleted_at (one index probe and one heap page per mentor: 4 buffers
-- each, 42 000 for a coordinator of 10 000 mentors), they anti-join the few deleted ones, which this
-- partial index holds (empty while nobody is deleted). Built CONCURRENTLY, alone in its file.
create index concurrently if not exists peer_mentors_soft_deleted_id_idx on public.peer_mentors (id) where deleted_at is not null;
