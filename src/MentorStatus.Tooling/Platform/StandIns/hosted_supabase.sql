-- What a hosted Supabase database has before any migration runs, beyond the platform layer (supabase_platform_layer.sql),
-- for `db lint`'s replay on plain PostgreSQL: the roles its dumps and `db diff` output name, the supabase_realtime
-- publication, the realtime and supabase_functions schemas (database webhooks), pg_graphql's and Vault's schemas, the
-- auth and storage service tables migrations reference, and more of auth.users' columns. Lint-only: applied to the
-- lint's throwaway database, never a migration; every step creates only what is missing.
do $hosted_roles$
declare
    r text;
begin
    foreach r in array array['supabase_admin', 'supabase_auth_admin', 'supabase_storage_admin', 'supabase_realtime_admin',
                             'supabase_functions_admin', 'supabase_replication_admin', 'supabase_read_only_user', 'dashboard_user',
                             'pgbouncer', 'pgsodium_keyholder', 'pgsodium_keyiduser', 'pgsodium_keymaker'] loop
        if not exists (select 1 from pg_roles where rolname = r) then
            begin
                execute format('create role %I nologin noinherit', r);
            exception when duplicate_object or unique_violation then
                null; -- created at the same moment by another lint on this server
            end;
        end if;
    end loop;
end
$hosted_roles$;

do $hosted_auth$
begin
    alter table auth.users
        add column if not exists instance_id uuid, add column if not exists aud varchar(255), add column if not exists role varchar(255),
        add column if not exists encrypted_password varchar(255), add column if not exists email_confirmed_at timestamptz,
        add column if not exists invited_at timestamptz, add column if not exists confirmation_token varchar(255),
        add column if not exists confirmation_sent_at timestamptz, add column if not exists recovery_token varchar(255),
        add column if not exists recovery_sent_at timestamptz, add column if not exists email_change varchar(255),
        add column if not exists last_sign_in_at timestamptz, add column if not exists is_super_admin boolean,
        add column if not exists updated_at timestamptz, add column if not exists phone text, add column if not exists phone_confirmed_at timestamptz,
        add column if not exists confirmed_at timestamptz, add column if not exists banned_until timestamptz,
        add column if not exists is_sso_user boolean not null default false, add column if not exists deleted_at timestamptz,
        add column if not exists is_anonymous boolean not null default false;
    if to_regclass('auth.schema_migrations') is null then
        create table auth.schema_migrations (version varchar(255) primary key);
    end if;
    if to_regclass('auth.identities') is null then
        create table auth.identities (id uuid primary key default gen_random_uuid(), provider_id text not null, user_id uuid not null references auth.users (id) on delete cascade,
            identity_data jsonb not null, provider text not null, last_sign_in_at timestamptz, created_at timestamptz, updated_at timestamptz,
            email text generated always as (lower(identity_data ->> 'email')) stored);
    end if;
    if to_regclass('auth.sessions') is null then
        create table auth.sessions (id uuid primary key, user_id uuid not null references auth.users (id) on delete cascade,
            created_at timestamptz, updated_at timestamptz, aal text, not_after timestamptz);
    end if;
    if to_regprocedure('auth.email()') is null then
        create function auth.email() returns text language sql stable
            as $body$ select coalesce(nullif(pg_catalog.current_setting('request.jwt.claim.email', true), ''),
                      (nullif(pg_catalog.current_setting('request.jwt.claims', true), '')::pg_catalog.jsonb operator(pg_catalog.->>) 'email'))::pg_catalog.text $body$;
    end if;
end
$hosted_auth$;

do $hosted_storage$
begin
    if to_regclass('storage.migrations') is null then
        create table storage.migrations (id integer primary key, name varchar(100) unique not null, hash varchar(40) not null,
            executed_at timestamp default current_timestamp);
    end if;
    alter table storage.buckets add column if not exists avif_autodetection boolean default false;
    alter table storage.objects add column if not exists version text, add column if not exists user_metadata jsonb;
end
$hosted_storage$;

do $hosted_realtime$
begin
    if to_regnamespace('realtime') is null then
        create schema realtime;
        create table realtime.messages (id uuid not null default gen_random_uuid(), topic text not null, extension text not null,
            payload jsonb, event text, private boolean default false, updated_at timestamp not null default now(),
            inserted_at timestamp not null default now(), primary key (id, inserted_at));
        alter table realtime.messages enable row level security;
        create function realtime.topic() returns text language sql stable
            as $body$ select nullif(pg_catalog.current_setting('realtime.topic', true), '')::pg_catalog.text $body$;
        create function realtime.send(payload jsonb, event text, topic text, private boolean default true) returns void language sql
            as $body$ insert into realtime.messages (payload, event, topic, private, extension) values (payload, event, topic, private, 'broadcast') $body$;
        create function realtime.broadcast_changes(topic_name text, event_name text, operation text, table_name text, table_schema text,
            new record, old record, level text default 'ROW') returns void language plpgsql as $body$ begin end $body$;
        grant usage on schema realtime to anon, authenticated, service_role;
    end if;
    if not exists (select 1 from pg_publication where pubname = 'supabase_realtime') then
        create publication supabase_realtime;
    end if;
end
$hosted_realtime$;

-- Database webhooks: triggers calling supabase_functions.http_request(url, method, headers, params, timeout).
do $hosted_functions$
begin
    if to_regnamespace('supabase_functions') is null then
        create schema supabase_functions;
        create table supabase_functions.hooks (id bigserial primary key, hook_table_id integer not null, hook_name text not null,
            created_at timestamptz not null default now(), request_id bigint);
        create table supabase_functions.migrations (version text primary key, inserted_at timestamptz not null default now());
        create function supabase_functions.http_request() returns trigger language plpgsql security definer set search_path = supabase_functions
            as $body$ begin return coalesce(new, old); end $body$;
        grant usage on schema supabase_functions to postgres, anon, authenticated, service_role;
    end if;
end
$hosted_functions$;
