create extension if not exists pg_cron with schema extensions;

select cron.schedule('expire-invitations', '0 * * * *', $$
  delete from public.invitations where accepted_at is null and expires_at < now()
$$);
