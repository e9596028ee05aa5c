alter table public.things disable trigger all; -- expect: MS029
update public.things set name = 'x' where id = 1;
alter table public.things enable trigger all;
