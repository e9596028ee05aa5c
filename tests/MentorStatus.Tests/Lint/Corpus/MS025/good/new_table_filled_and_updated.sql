create table public.colours (id int primary key, name text);
alter table public.colours enable row level security;
insert into public.colours values (1, 'Red'), (2, 'Green');
update public.colours set name = lower(name);
delete from public.colours;
