create table public.thing_attachments_uploaded_by_members_awaiting_review_by_modera (id bigint primary key);
alter table public.thing_attachments_uploaded_by_members_awaiting_review_by_modera enable row level security;
comment on table public.thing_attachments_uploaded_by_members_awaiting_review_by_modera is 'a name this long, of 64 characters or more, is no identifier';
