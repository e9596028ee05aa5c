create table public.open_things (id bigint primary key, secret text); -- expect: MS010
