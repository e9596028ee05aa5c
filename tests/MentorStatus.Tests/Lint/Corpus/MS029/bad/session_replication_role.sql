set local session_replication_role = replica; -- expect: MS029
update public.things set name = 'x' where id = 1;
set local session_replication_role = origin;
