-- Issue 13 round 4: per-part cost of the timeline read, in-session loop (BENCHMARKS.md). On a kept bench cluster,
-- after timeline_variants.sql, as postgres:
--   PGOPTIONS="-c my.variants=service_read,tl_empty_noset,tl_empty,tl_uid,tl_check,tl_read,tl_old,mentor_timeline -c my.expect_rows=yes" \
--   psql ... -v claims='{"sub":"<uid>","role":"authenticated"}' -f timeline_per_part_loop.sql
-- Median and minimum over rounds of the mean µs per call; mentors 1, 1001, ... (chapter 1 at full size).
begin;

select set_config('request.jwt.claims', :'claims', true) \g /dev/null
do $$
declare
  v text; t0 timestamptz; us float8; r int; i int; n int := 40; k bigint; rounds int := 30;
  mentors uuid[] := array(select ('00000000-0000-4000-b004-' || lpad(to_hex(1 + 1000 * g), 12, '0'))::uuid from generate_series(0, 99) g);
  variants text[] := string_to_array(current_setting('my.variants'), ',');
  samples float8[] := array_fill(0::float8, array[array_length(variants, 1), rounds]);
  med float8; lo float8;
begin
  for r in 1..rounds loop
    for vi in 1..array_length(variants, 1) loop
      v := variants[vi];
      t0 := clock_timestamp();
      for i in 1..n loop
        if v = 'service_read' then
          select count(*) into k from (select h.* from public.peer_mentor_status_history h where h.mentor_id = mentors[1 + (i + r * n) % 100]
                            and h.changed_at <= coalesce(null::timestamptz, 'infinity'::timestamptz)
                            order by h.changed_at desc, h.id desc limit 51) s;
        elsif v = 'uid' then
          perform auth.uid();
        elsif v = 'mentor_timeline' then select count(*) into k from mentor_status_private.mentor_timeline(mentors[1 + (i + r * n) % 100], null, null, 51);
        elsif v = 'tl_v1' then select count(*) into k from mentor_status_private.tl_v1(mentors[1 + (i + r * n) % 100], null, null, 51);
        elsif v = 'tl_v2' then select count(*) into k from mentor_status_private.tl_v2(mentors[1 + (i + r * n) % 100], null, null, 51);
        elsif v = 'tl_empty' then select count(*) into k from mentor_status_private.tl_empty(mentors[1 + (i + r * n) % 100], null, null, 51);
        elsif v = 'tl_empty_noset' then select count(*) into k from mentor_status_private.tl_empty_noset(mentors[1 + (i + r * n) % 100], null, null, 51);
        elsif v = 'tl_uid' then select count(*) into k from mentor_status_private.tl_uid(mentors[1 + (i + r * n) % 100], null, null, 51);
        elsif v = 'tl_read' then select count(*) into k from mentor_status_private.tl_read(mentors[1 + (i + r * n) % 100], null, null, 51);

        elsif v = 'tl_old' then select count(*) into k from mentor_status_private.tl_old(mentors[1 + (i + r * n) % 100], null, null, 51);
        elsif v = 'tl_check' then select count(*) into k from mentor_status_private.tl_check(mentors[1 + (i + r * n) % 100], null, null, 51);
        end if;
      end loop;
      if k < 1 and current_setting('my.expect_rows') = 'yes' and v in ('service_read', 'tl_read', 'mentor_timeline', 'tl_v1', 'tl_v2', 'tl_old') then raise exception '% returned % rows', v, k; end if;
      samples[vi][r] := extract(epoch from clock_timestamp() - t0) * 1e6 / n;
    end loop;
  end loop;
  for vi in 1..array_length(variants, 1) loop
    select percentile_cont(0.5) within group (order by x), min(x) into med, lo from unnest(samples[vi:vi][1:rounds]) x;
    raise notice '% median % µs, min % µs', rpad(variants[vi], 16), round(med::numeric, 1), round(lo::numeric, 1);
  end loop;
end $$;
commit;
