create function public.things_touch() returns trigger language plpgsql set search_path = pg_catalog, pg_temp as $$
begin
    return new;
end
$$;
create trigger things_touch before update on public.things for each row execute function public.things_touch();
alter table public.things disable trigger things_touch;
update public.things set name = 'x' where id = 1;
alter table public.things enable trigger things_touch;
