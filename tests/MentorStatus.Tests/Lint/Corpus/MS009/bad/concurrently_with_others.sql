alter table public.things add column note text;
create index concurrently things_note_idx on public.things (note); -- expect: MS009
