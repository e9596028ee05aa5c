set lock_timeout = '5s';

create table public.posts (
  id bigint generated always as identity primary key,
  author_id uuid not null references public.profiles (id) on delete cascade,
  body text not null check (char_length(body) <= 2000),
  created_at timestamptz not null default now()
);
create index posts_author_id_idx on public.posts (author_id);

alter table public.posts enable row level security;

create policy "Signed-in users read posts" on public.posts
  for select to authenticated using (true);

create policy "Authors write their posts" on public.posts
  for insert to authenticated with check ((select auth.uid()) = author_id);

create policy "Authors delete their posts" on public.posts
  for delete to authenticated using ((select auth.uid()) = author_id);
