-- Alone, but a rerun after a crash between the build and the journal row fails with 'already exists'.
create index concurrently things_name_idx on public.things (name); -- expect: MS018
