-- Nightly clean-up by pg_cron; the command runs in the job, not in this migration.
select cron.schedule(
  'purge-read-notifications',
  '15 3 * * *',
  $$delete from public.notifications where read_at < now() - interval '30 days'$$
);
