lock table public.things in share row exclusive mode; -- expect: MS005
update public.things set name = 'x' where id = 1;
