set lock_timeout = '3s';
-- lint: ignore MS001 because things is tiny in every environment
create index things_name_idx on public.things (name);
