alter table public.things add constraint things_name_length check (length(name) < 100) not valid;
alter table public.things validate constraint things_name_length;
alter table public.things add constraint things_owner_fkey foreign key (owner_id) references public.owners (id) not valid;
alter table public.things validate constraint things_owner_fkey;
