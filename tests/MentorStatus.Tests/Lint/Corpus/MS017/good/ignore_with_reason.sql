-- lint: ignore MS001 because things holds a handful of rows in every environment
create index things_name_idx on public.things (name);
