-- A backfill whose SET ends in `)`: `where name is null` on the column it sets still reaches every such row.
update public.things set name = coalesce(name, 'unnamed') where name is null; -- expect: MS025
