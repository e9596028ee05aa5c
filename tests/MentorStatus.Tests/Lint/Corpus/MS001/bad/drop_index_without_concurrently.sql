-- DROP INDEX takes ACCESS EXCLUSIVE on the table: even readers wait.
drop index public.things_owner_id_idx; -- expect: MS001
