-- expect: MS017 @2
-- lint: ignore MS999 because it is fine
create index things_name_idx on public.things (name);
