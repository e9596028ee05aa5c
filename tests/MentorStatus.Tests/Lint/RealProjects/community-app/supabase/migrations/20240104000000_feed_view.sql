-- The API's feed: a view that checks the tables' policies as the caller.
create view public.feed
with (security_invoker = true)
as
  select p.id, p.body, p.created_at, pr.username, pr.avatar_url,
         (select count(*) from public.likes l where l.post_id = p.id) as likes
  from public.posts p
  join public.profiles pr on pr.id = p.author_id
  where p.status = 'published';
