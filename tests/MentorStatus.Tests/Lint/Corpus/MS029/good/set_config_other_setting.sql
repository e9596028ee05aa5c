select pg_catalog.set_config('lock_timeout', '5s', true);
select pg_catalog.set_config('session_replication_role', 'origin', true);
