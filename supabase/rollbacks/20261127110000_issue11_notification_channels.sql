-- Reverts 20261127110000_issue11_notification_channels.sql. Dropping the inbox also removes it from
-- the supabase_realtime publication.
drop function public.mark_notification_read(uuid);
drop function mentor_status_private.mark_inbox_row_read(uuid);
drop table public.coordinator_inbox;
drop table public.coordinator_notification_deliveries;
alter table public.organisations drop constraint organisations_language_supported;
alter table public.organisations drop column language;
