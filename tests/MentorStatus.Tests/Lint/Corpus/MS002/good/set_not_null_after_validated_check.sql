alter table public.things add constraint things_name_not_null check (name is not null) not valid;
alter table public.things validate constraint things_name_not_null;
alter table public.things alter column name set not null;
