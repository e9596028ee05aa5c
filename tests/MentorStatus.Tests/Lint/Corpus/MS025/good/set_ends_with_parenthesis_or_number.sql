-- The normalised text has no space before WHERE after `)` or a number: these still update one row.
update public.things set name = lower(name) where id = 1;
update public.things set created_at = now() where id = 2;
update public.things set owner_id = null, sku = 'x' || 3 where id = 3;
update public.things set name = 'n' where id = 4;
delete from public.things where id = 5;
