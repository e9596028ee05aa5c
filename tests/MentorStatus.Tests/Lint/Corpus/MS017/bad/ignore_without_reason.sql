-- expect: MS017 @2
-- lint: ignore MS001
create index things_name_idx on public.things (name);
