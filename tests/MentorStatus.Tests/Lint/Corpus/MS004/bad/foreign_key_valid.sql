alter table public.things
    add constraint things_owner_fkey foreign key (owner_id) references public.owners (id); -- expect: MS004 @1
