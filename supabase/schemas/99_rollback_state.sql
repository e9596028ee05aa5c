-- State kept for rollbacks
--
-- Two tables the migrations that pinned function search paths and narrowed the API roles' privileges keep for their
-- rollbacks (the settings and grants before them). Nothing else reads them; a database built from these files has
-- them empty and is never rolled back past those migrations.
--
-- Part of the declarative schema: supabase/schemas/*.sql, applied in file-name order on top of the platform layer,
-- describe the database as the migrations leave it. Change the schema here, then `mentorstatus db diff -f NAME`
-- writes the migration and its rollback; CI fails when these files and the migrations disagree.

create table mentor_status_private.rollback_state_20261127105000 (
    function_signature text not null,
    proconfig text[],
    comment_changed boolean default false not null,
    comment_before text,
    constraint rollback_state_20261127105000_pkey primary key (function_signature)
);
alter table mentor_status_private.rollback_state_20261127105000 enable row level security;
comment on table mentor_status_private.rollback_state_20261127105000 is
    'The proconfig each function had before migration 20261127105000 pinned its search_path; read by its '
    'rollback only. No API role may read it.';

revoke all on table mentor_status_private.rollback_state_20261127105000 from public, anon, authenticated, service_role;

create table mentor_status_private.rollback_state_20261127105100 (
    table_name text not null,
    grantee text not null,
    privileges text[] not null,
    position integer not null,
    constraint rollback_state_20261127105100_pkey primary key (table_name, grantee)
);
alter table mentor_status_private.rollback_state_20261127105100 enable row level security;
comment on table mentor_status_private.rollback_state_20261127105100 is
    'The grants the API roles held on each table before migration 20261127105100 narrowed them; read by '
    'its rollback only. No API role may read it.';

revoke all on table mentor_status_private.rollback_state_20261127105100 from public, anon, authenticated, service_role;
