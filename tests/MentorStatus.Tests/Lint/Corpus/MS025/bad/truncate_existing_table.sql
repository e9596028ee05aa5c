truncate public.things; -- expect: MS025
