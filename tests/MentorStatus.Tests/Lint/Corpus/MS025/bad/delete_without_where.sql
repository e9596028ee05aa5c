delete from public.things; -- expect: MS025
