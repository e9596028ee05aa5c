-- Issue 13 round 4: the bench's server-side measure in one session (BENCHMARKS.md). On a kept full-size bench cluster,
-- after timeline_variants.sql, as postgres:
--   PGOPTIONS="-c my.readers=service:,one:tl_old,one:mentor_timeline,many:tl_old,many:mentor_timeline -c my.samples=1000" psql ... -f timeline_same_session_explain.sql
-- reader = who:function; who = one (the mentor's chapter coordinator) or many (the 50-chapter coordinator).
-- Same-run, same-cluster: the bench's server-side measure (EXPLAIN (ANALYZE, TIMING OFF) "Execution Time",
-- planning excluded) of the service read and of the two function bodies, for both coordinators, on random
-- mentors of the first 50 chapters, in a random order per mentor. One session, as the bench's one connection.
begin;
do $$
declare
  service_sql text := 'explain (analyze, timing off, format json) select id, mentor_id, previous_status, new_status, changed_by, changed_at, reason, job_run_id from public.peer_mentor_status_history where mentor_id = $1 and ($2::timestamptz is null or (changed_at, id) < ($2::timestamptz, $3::uuid)) order by changed_at desc, id desc limit $4';
  readers text[] := string_to_array(current_setting('my.readers'), ',');
  nr int := array_length(readers, 1);
  samples int := current_setting('my.samples')::int;
  t float8[] := array_fill(0::float8, array[nr, samples]);
  m int; mentor uuid; perm int[]; chapter int; j json; who text; fn text; sql text; i int; s int; ri int;
  p50 float8; p99 float8; base50 float8; base99 float8;
begin
  perform setseed(0.99);
  for i in 1..samples loop
    loop m := 1 + floor(random() * 100000)::int; chapter := (m - 1) % 1000 + 1; exit when chapter <= 50; end loop;
    mentor := ('00000000-0000-4000-b004-' || lpad(to_hex(m), 12, '0'))::uuid;
    perm := array(select g from generate_series(1, nr) g order by random());
    for s in 1..nr loop
      ri := perm[s];
      who := split_part(readers[ri], ':', 1); fn := split_part(readers[ri], ':', 2);
      if who = 'service' then sql := service_sql;
      else
        perform set_config('request.jwt.claims', format('{"sub":"%s","role":"authenticated"}',
          case who when 'one' then '00000000-0000-4000-b005-' || lpad(to_hex(chapter), 12, '0') else '00000000-0000-4000-b006-000000000001' end), true);
        sql := format('explain (analyze, timing off, format json) select id, mentor_id, previous_status, new_status, changed_by, changed_at, reason, job_run_id from mentor_status_private.%I($1, $2, $3, $4)', fn);
      end if;
      execute sql into j using mentor, null::timestamptz, null::uuid, 51;
      if (j->0->'Plan'->>'Actual Rows')::int < 1 and current_setting('my.expect_rows', true) is distinct from 'no' then raise exception '% read no rows', readers[ri]; end if;
      t[ri][i] := (j->0->>'Execution Time')::float8;
    end loop;
  end loop;
  for ri in 1..nr loop
    select percentile_cont(0.5) within group (order by x), percentile_cont(0.99) within group (order by x) into p50, p99 from unnest(t[ri:ri][1:samples]) x;
    if ri = 1 then base50 := p50; base99 := p99; end if;
    raise notice '% p50 % ms (%x)  p99 % ms (%x)', rpad(readers[ri], 22), round(p50::numeric, 3), round((p50 / base50)::numeric, 2), round(p99::numeric, 3), round((p99 / base99)::numeric, 2);
  end loop;
end $$;
commit;
