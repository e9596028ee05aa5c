create view public.thing_names as select id, name from public.things; -- expect: MS019
