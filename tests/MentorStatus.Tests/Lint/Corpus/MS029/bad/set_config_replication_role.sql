select pg_catalog.set_config('session_replication_role', 'replica', true); -- expect: MS029
update public.things set name = 'x' where id = 1;
select pg_catalog.set_config('session_replication_role', 'origin', true);
