-- ANALYZE takes SHARE UPDATE EXCLUSIVE and inserts ROW EXCLUSIVE: neither blocks writers.
analyze public.things;
insert into public.things (id, name) values (1000, 'seeded');
