drop table public.gadgets;
