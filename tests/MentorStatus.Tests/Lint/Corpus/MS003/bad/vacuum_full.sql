vacuum full public.things; -- expect: MS003
