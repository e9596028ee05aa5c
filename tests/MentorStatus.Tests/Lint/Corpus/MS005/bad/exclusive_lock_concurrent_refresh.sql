-- A concurrent refresh takes EXCLUSIVE on the materialized view: readers go on, writers (other refreshes) wait.
refresh materialized view concurrently reporting.thing_counts; -- expect: MS005
