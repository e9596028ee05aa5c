set lock_timeout = '3s';
refresh materialized view concurrently reporting.thing_counts;
