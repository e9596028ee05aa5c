alter table public.things add column label text;
-- The backfill of every row, in the migration's one transaction.
update public.things set label = coalesce(name, 'unnamed') where label is null; -- expect: MS025
