drop table public.widgets;
