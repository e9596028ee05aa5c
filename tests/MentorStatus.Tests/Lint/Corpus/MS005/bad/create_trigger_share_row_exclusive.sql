create function public.things_touch() returns trigger language plpgsql set search_path = pg_catalog, pg_temp as $$
begin
    return new;
end
$$;
create trigger things_touch before update on public.things for each row execute function public.things_touch(); -- expect: MS005
