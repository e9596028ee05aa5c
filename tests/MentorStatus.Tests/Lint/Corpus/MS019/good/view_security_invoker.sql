create view public.thing_names with (security_invoker = true) as select id, name from public.things;
