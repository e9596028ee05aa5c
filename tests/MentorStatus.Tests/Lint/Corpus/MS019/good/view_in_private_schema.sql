create schema internal;
create view internal.thing_names as select id, name from public.things;
