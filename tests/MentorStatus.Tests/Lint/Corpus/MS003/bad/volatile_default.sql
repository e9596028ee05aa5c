alter table public.things add column token uuid default gen_random_uuid(); -- expect: MS003
