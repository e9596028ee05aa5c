cluster public.things using things_pkey; -- expect: MS003
