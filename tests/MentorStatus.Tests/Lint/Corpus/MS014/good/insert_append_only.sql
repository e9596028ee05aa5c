insert into public.audit_log (id, note) values (1, 'created');
update public.things set name = 'x' where id = 1;
