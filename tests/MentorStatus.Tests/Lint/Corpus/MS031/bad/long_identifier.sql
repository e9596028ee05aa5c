create table public.thing_attachments_uploaded_by_members_awaiting_review_by_moderators (id bigint primary key); -- expect: MS031
