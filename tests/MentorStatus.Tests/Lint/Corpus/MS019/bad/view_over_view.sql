create view public.thing_names with (security_invoker = true) as select id, name from public.things;
-- The outer view runs as its owner, so the inner view checks RLS as the owner too.
create view public.thing_name_list as select name from public.thing_names; -- expect: MS019
