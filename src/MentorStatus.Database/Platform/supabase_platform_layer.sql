-- Supabase platform layer for PLAIN PostgreSQL 15.
--
-- This is NEVER a migration. On a real Supabase database every object below already exists
-- (created by supabase/postgres init scripts and the GoTrue auth migrations), and this script
-- changes nothing there: every step creates only what is missing. It is safe to run twice.
--
-- What it provides, mirroring Supabase so that the migrations in supabase/migrations run
-- unchanged on plain PostgreSQL:
--   * roles anon, authenticated (nologin), service_role (nologin, bypassrls), authenticator
--     (login, noinherit, member of the three), and postgres may SET ROLE to the three;
--   * schemas auth and extensions;
--   * a minimal auth.users (the real one belongs to the auth service and has many more columns);
--   * auth.uid(), auth.role(), auth.jwt() with Supabase's bodies;
--   * usage on public, auth and extensions for the API roles;
--   * Supabase's default privileges on schema public: every table, function and sequence that
--     postgres creates there is granted to anon, authenticated and service_role. This is why
--     every public table needs row-level security (or revoked grants) before PostgREST sees it.
--
-- Run it as a superuser (the local cluster's postgres user).

-- Roles ----------------------------------------------------------------------------------------
do $platform_roles$
begin
    if not exists (select 1 from pg_roles where rolname = 'anon') then
        create role anon nologin noinherit;
    end if;
    if not exists (select 1 from pg_roles where rolname = 'authenticated') then
        create role authenticated nologin noinherit;
    end if;
    if not exists (select 1 from pg_roles where rolname = 'service_role') then
        create role service_role nologin noinherit bypassrls;
    end if;
    if not exists (select 1 from pg_roles where rolname = 'authenticator') then
        create role authenticator login noinherit;
    end if;
end
$platform_roles$;

-- authenticator (PostgREST's login role) switches to one of the three API roles per request.
do $platform_memberships$
declare
    api_role text;
begin
    foreach api_role in array array['anon', 'authenticated', 'service_role'] loop
        if not pg_has_role('authenticator', api_role, 'member') then
            execute format('grant %I to authenticator', api_role);
        end if;
        -- postgres can SET ROLE to the API roles (tests act as a user this way).
        if exists (select 1 from pg_roles where rolname = 'postgres')
           and not exists (
               select 1
               from pg_auth_members m
               where m.roleid = (select oid from pg_roles where rolname = api_role)
                 and m.member = (select oid from pg_roles where rolname = 'postgres')
           ) then
            execute format('grant %I to postgres', api_role);
        end if;
    end loop;
end
$platform_memberships$;

-- Schemas --------------------------------------------------------------------------------------
-- Checked in a DO block rather than "create schema if not exists": that statement checks the
-- CREATE privilege on the database before it looks for the schema.
do $platform_schemas$
begin
    if to_regnamespace('auth') is null then
        create schema auth;
    end if;
    if to_regnamespace('extensions') is null then
        create schema extensions;
    end if;
end
$platform_schemas$;

-- auth.users (minimal) -------------------------------------------------------------------------
-- Checked in a DO block: "create table if not exists" needs CREATE on schema auth even when the
-- table exists, and on Supabase auth belongs to the auth service.
do $platform_users$
begin
    if to_regclass('auth.users') is null then
        create table auth.users (
            id uuid primary key,
            email text,
            created_at timestamptz default now(),
            raw_app_meta_data jsonb,
            raw_user_meta_data jsonb
        );
        comment on table auth.users is
            'Minimal stand-in for Supabase GoTrue''s auth.users, created by the local platform layer. '
            'Migrations reference it, never create it.';
    end if;
end
$platform_users$;

-- auth.uid(), auth.role(), auth.jwt() ----------------------------------------------------------
-- Supabase's bodies with every type, function and operator schema-qualified: they are
-- inlined into the security definer functions that call them and parsed there, and an unqualified
-- `::uuid` would resolve to a caller's pg_temp.uuid domain first. No SET clause: that would stop
-- the inlining the policies rely on.
do $platform_functions$
begin
    if to_regprocedure('auth.uid()') is null then
        execute $fn$
            create function auth.uid() returns uuid
            language sql stable
            as $body$
                select coalesce(
                    nullif(pg_catalog.current_setting('request.jwt.claim.sub', true), ''),
                    (nullif(pg_catalog.current_setting('request.jwt.claims', true), '')::pg_catalog.jsonb operator(pg_catalog.->>) 'sub')
                )::pg_catalog.uuid
            $body$
        $fn$;
        comment on function auth.uid() is
            'Deprecated: use auth.jwt() -> ''sub'' instead. Id of the user of the current request (Supabase body).';
    end if;

    if to_regprocedure('auth.role()') is null then
        execute $fn$
            create function auth.role() returns text
            language sql stable
            as $body$
                select coalesce(
                    nullif(pg_catalog.current_setting('request.jwt.claim.role', true), ''),
                    (nullif(pg_catalog.current_setting('request.jwt.claims', true), '')::pg_catalog.jsonb operator(pg_catalog.->>) 'role')
                )::pg_catalog.text
            $body$
        $fn$;
        comment on function auth.role() is
            'Deprecated: use auth.jwt() -> ''role'' instead. Role claim of the current request (Supabase body).';
    end if;

    if to_regprocedure('auth.jwt()') is null then
        execute $fn$
            create function auth.jwt() returns jsonb
            language sql stable
            as $body$
                select coalesce(
                    nullif(pg_catalog.current_setting('request.jwt.claim', true), ''),
                    nullif(pg_catalog.current_setting('request.jwt.claims', true), '')
                )::pg_catalog.jsonb
            $body$
        $fn$;
        comment on function auth.jwt() is
            'Claims of the JWT of the current request (Supabase body).';
    end if;
end
$platform_functions$;

-- Schema usage for the API roles ---------------------------------------------------------------
-- Granted only where missing, so that a role that does not own the schema (postgres on Supabase)
-- gets no "no privileges were granted" warning.
do $platform_schema_usage$
declare
    api_role text;
    schema_name text;
begin
    foreach schema_name in array array['public', 'auth', 'extensions'] loop
        foreach api_role in array array['anon', 'authenticated', 'service_role'] loop
            if not has_schema_privilege(api_role, schema_name, 'usage') then
                execute format('grant usage on schema %I to %I', schema_name, api_role);
            end if;
        end loop;
    end loop;
end
$platform_schema_usage$;

-- Supabase's default privileges on public ------------------------------------------------------
-- Re-running "alter default privileges ... grant" is a no-op when the entry already exists.
do $platform_default_privileges$
begin
    if exists (select 1 from pg_roles where rolname = 'postgres') then
        alter default privileges for role postgres in schema public
            grant all on tables to anon, authenticated, service_role;
        alter default privileges for role postgres in schema public
            grant all on functions to anon, authenticated, service_role;
        alter default privileges for role postgres in schema public
            grant all on sequences to anon, authenticated, service_role;
    end if;
end
$platform_default_privileges$;

-- Extensions as Supabase has them (added for `db lint` on real projects) ------------------------
-- Supabase installs pgcrypto and uuid-ossp into schema extensions, and its sessions search
-- "$user", public, extensions, so projects call gen_random_bytes() and uuid_generate_v4()
-- unqualified. Only what is missing: an extension already installed elsewhere stays where it is.
do $platform_extensions$
begin
    if not exists (select 1 from pg_extension where extname = 'pgcrypto')
       and exists (select 1 from pg_available_extensions where name = 'pgcrypto') then
        create extension pgcrypto with schema extensions;
    end if;
    if not exists (select 1 from pg_extension where extname = 'uuid-ossp')
       and exists (select 1 from pg_available_extensions where name = 'uuid-ossp') then
        create extension "uuid-ossp" with schema extensions;
    end if;
    -- The database's default search_path, as Supabase sets it for postgres (PostgREST adds extensions
    -- for the API roles through db-extra-search-path; `set role` keeps the session's path). Only when
    -- this database has none of its own.
    if not exists (select 1 from pg_db_role_setting s join pg_database d on d.oid = s.setdatabase
                   where d.datname = current_database() and s.setrole = 0
                     and exists (select 1 from unnest(s.setconfig) c where c like 'search_path=%'))
       and current_setting('search_path') !~ '\mextensions\M' then
        execute format('alter database %I set search_path = "$user", public, extensions', current_database());
    end if;
end
$platform_extensions$;

-- storage (minimal) ------------------------------------------------------------------------------
-- The tables storage policies are written on (storage.buckets, storage.objects, RLS on) and the
-- path helpers they call, with Supabase storage's column names. Only when there is no storage schema.
do $platform_storage$
begin
    if to_regnamespace('storage') is null then
        create schema storage;
        create table storage.buckets (
            id text primary key,
            name text not null unique,
            owner uuid,
            public boolean default false,
            file_size_limit bigint,
            allowed_mime_types text[],
            created_at timestamptz default now(),
            updated_at timestamptz default now()
        );
        create table storage.objects (
            id uuid primary key default gen_random_uuid(),
            bucket_id text references storage.buckets (id),
            name text,
            owner uuid,
            owner_id text,
            metadata jsonb,
            path_tokens text[] generated always as (string_to_array(name, '/')) stored,
            created_at timestamptz default now(),
            updated_at timestamptz default now(),
            last_accessed_at timestamptz default now()
        );
        alter table storage.buckets enable row level security;
        alter table storage.objects enable row level security;
        create function storage.foldername(name text) returns text[] language sql immutable
            as $body$ select (string_to_array(name, '/'))[1:array_length(string_to_array(name, '/'), 1) - 1] $body$;
        create function storage.filename(name text) returns text language sql immutable
            as $body$ select (string_to_array(name, '/'))[array_length(string_to_array(name, '/'), 1)] $body$;
        create function storage.extension(name text) returns text language sql immutable
            as $body$ select reverse(split_part(reverse(storage.filename(name)), '.', 1)) $body$;
        comment on schema storage is
            'Minimal stand-in for Supabase Storage''s schema, created by the local platform layer. Migrations reference it, never create it.';
        grant usage on schema storage to anon, authenticated, service_role;
        grant all on storage.buckets, storage.objects to anon, authenticated, service_role;
    end if;
end
$platform_storage$;
