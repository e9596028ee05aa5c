-- Issue 13 round 4: buffers of the 8th call (generic plan) per caller, main's body (tl_old) vs the new one (BENCHMARKS.md).
begin;
do $$
declare j json; fn text; who text; uid text; i int; m uuid; r text := '';
begin
  foreach fn in array array['tl_old', 'mentor_timeline'] loop
    foreach who in array array['one', 'many', 'stranger'] loop
      uid := case who when 'one' then '00000000-0000-4000-b005-000000000001' when 'many' then '00000000-0000-4000-b006-000000000001' else '00000000-0000-4000-b006-000000000002' end;
      perform set_config('request.jwt.claims', format('{"sub":"%s","role":"authenticated"}', uid), true);
      for i in 0..7 loop
        m := ('00000000-0000-4000-b004-' || lpad(to_hex(1 + 1000 * i), 12, '0'))::uuid;
        execute format('explain (analyze, buffers, timing off, format json) select * from mentor_status_private.%I($1, null, null, 51)', fn) into j using m;
      end loop;
      -- the 8th call (generic plan from the 6th): buffers of the whole call, rows
      raise notice '% % rows % buffers %', rpad(fn, 16), rpad(who, 9), j->0->'Plan'->>'Actual Rows',
        (j->0->'Plan'->>'Shared Hit Blocks')::int + (j->0->'Plan'->>'Shared Read Blocks')::int;
    end loop;
  end loop;
  -- the floor: the service read of the same mentor
  execute 'explain (analyze, buffers, timing off, format json) select * from public.peer_mentor_status_history where mentor_id = $1 order by changed_at desc, id desc limit 51' into j using m;
  raise notice 'service read     rows % buffers %', j->0->'Plan'->>'Actual Rows', (j->0->'Plan'->>'Shared Hit Blocks')::int + (j->0->'Plan'->>'Shared Read Blocks')::int;
end $$;
commit;
