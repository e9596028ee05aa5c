-- requires: 20261101000000
-- issue 13, item 1: the membership helpers read a coordinator's mentors chapter by chapter
-- (coordinator_assignments → chapter_memberships by chapter_id). With (chapter_id, mentor_id) that read
-- is index-only: one index range per chapter, no heap page per member. Built CONCURRENTLY, so it stays
-- alone in its file and runs without a transaction (see 20261101000300 for what the runner does with
-- an INVALID index left by a failed build).
create index concurrently if not exists chapter_memberships_chapter_id_mentor_id_idx on public.chapter_memberships (chapter_id, mentor_id);
