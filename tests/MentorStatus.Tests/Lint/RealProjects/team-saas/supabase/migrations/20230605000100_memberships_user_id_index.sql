create index concurrently if not exists memberships_user_id_idx on public.memberships (user_id);
