-- No schema: it lands in the first schema of the search_path, public.
create extension if not exists hstore; -- expect: MS023
