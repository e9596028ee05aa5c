grant all on table public.things to anon; -- expect: MS024
