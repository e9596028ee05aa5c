create function public.touch_thing(p_id bigint) returns void
language sql
set search_path = ''
as $$ update public.things set name = name where id = p_id $$;
