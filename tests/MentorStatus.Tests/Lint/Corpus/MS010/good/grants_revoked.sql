create table public.internal_things (id bigint primary key, secret text);
revoke all on table public.internal_things from anon, authenticated;
