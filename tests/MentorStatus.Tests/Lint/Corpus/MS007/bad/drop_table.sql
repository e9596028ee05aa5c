drop table public.owners; -- expect: MS007
