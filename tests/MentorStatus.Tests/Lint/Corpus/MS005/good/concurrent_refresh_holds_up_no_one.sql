-- A concurrent refresh takes EXCLUSIVE on the materialized view: readers go on, and nothing but REFRESH writes it,
-- so waiting for that lock holds up no one.
refresh materialized view concurrently reporting.thing_counts;
