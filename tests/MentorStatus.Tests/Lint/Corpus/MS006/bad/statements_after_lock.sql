alter table public.things add column note text; -- expect: MS006
comment on column public.things.note is 'A note.';
-- Reads and writes rows while things stays locked against readers.
update public.things set note = name where id < 100;
