-- SHARE ROW EXCLUSIVE on things and owners, even NOT VALID.
alter table public.things add constraint things_owner_fk foreign key (owner_id) references public.owners (id) not valid; -- expect: MS005
