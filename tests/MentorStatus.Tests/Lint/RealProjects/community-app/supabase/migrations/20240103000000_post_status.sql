set lock_timeout = '5s';

create type public.post_status as enum ('draft', 'published');

-- A constant default: PostgreSQL 11+ stores it in the catalog, no rewrite.
alter table public.posts add column status public.post_status not null default 'published';
