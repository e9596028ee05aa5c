-- No lock_timeout needed: nobody else can be using a table this migration creates.
create table public.notes (id bigint primary key, thing_id bigint, body text);
alter table public.notes enable row level security;
create index notes_thing_idx on public.notes (thing_id);
create function public.notes_touch() returns trigger language plpgsql set search_path = pg_catalog, pg_temp as $$
begin
    return new;
end
$$;
create trigger notes_touch before update on public.notes for each row execute function public.notes_touch();
