refresh materialized view reporting.thing_counts; -- expect: MS003
