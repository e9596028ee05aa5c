-- Stand-in for pgsodium (`create extension pgsodium`): schema pgsodium with its key table and the functions migrations
-- call. Transparent column encryption (SECURITY LABEL FOR pgsodium) needs its label provider, which only the C library
-- registers: such a statement stays a finding that names it.
create schema if not exists pgsodium;
create table if not exists pgsodium.key (id uuid primary key default gen_random_uuid(), status text default 'valid',
    created timestamptz not null default now(), expires timestamptz, key_type text, key_id bigserial, key_context bytea default 'pgsodium',
    name text unique, associated_data text default 'associated', raw_key bytea, raw_key_nonce bytea, parent_key uuid, comment text, user_data text);
create or replace view pgsodium.valid_key as select id, name, status, key_type, key_id, key_context, created, expires, associated_data
    from pgsodium.key where status in ('valid', 'default') and (expires is null or expires > now());
create or replace function pgsodium.create_key(key_type text default 'aead-det', name text default null, raw_key bytea default null,
    raw_key_nonce bytea default null, parent_key uuid default null, key_context bytea default 'pgsodium', expires timestamptz default null,
    associated_data text default '') returns pgsodium.valid_key language sql
    as $$ with k as (insert into pgsodium.key (key_type, name) values (create_key.key_type, create_key.name) returning *)
          select id, name, status, key_type, key_id, key_context, created, expires, associated_data from k $$;
create or replace function pgsodium.crypto_aead_det_encrypt(message bytea, additional bytea, key_uuid uuid, nonce bytea default null) returns bytea
    language sql as $$ select message $$;
create or replace function pgsodium.crypto_aead_det_decrypt(message bytea, additional bytea, key_uuid uuid, nonce bytea default null) returns bytea
    language sql as $$ select message $$;
create or replace function pgsodium.crypto_aead_det_noncegen() returns bytea language sql as $$ select extensions.gen_random_bytes(16) $$;
create or replace function pgsodium.randombytes_buf(size integer) returns bytea language sql as $$ select extensions.gen_random_bytes(size) $$;
create or replace function pgsodium.crypto_secretbox_noncegen() returns bytea language sql as $$ select extensions.gen_random_bytes(24) $$;
create or replace function pgsodium.crypto_box_new_keypair(out public bytea, out secret bytea) language sql
    as $$ select extensions.gen_random_bytes(32), extensions.gen_random_bytes(32) $$;
