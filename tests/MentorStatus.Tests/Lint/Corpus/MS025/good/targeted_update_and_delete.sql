update public.things set name = 'renamed' where id = 42;
delete from public.things where created_at < now() - interval '10 years' and name is null;
