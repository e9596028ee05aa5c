-- Rollback of 20261127130010_issue13_drop_redundant_memberships_chapter_index: the index of the baseline,
-- built again concurrently, alone, like the drop.
create index concurrently if not exists chapter_memberships_chapter_id_idx on public.chapter_memberships (chapter_id);
