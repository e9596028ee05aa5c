-- Stand-in for pg_tle (`create extension pg_tle`), Trusted Language Extensions (database.dev packages install through it),
-- for `db lint`'s replay: it must be preloaded and Debian packages none. Schema pgtle with the pgtle_admin role, its
-- feature type and the functions migrations call; an extension installed through it is only recorded, so a later
-- `create extension` of it does not replay.
do $standin$
begin
    if to_regclass('pgtle.stand_in_extensions') is not null then
        return;
    end if;
    if not exists (select from pg_roles where rolname = 'pgtle_admin') then
        create role pgtle_admin nologin;
    end if;
    create schema if not exists pgtle;
    grant usage on schema pgtle to pgtle_admin;
    create type pgtle.pg_tle_features as enum ('passcheck', 'clientauth');
    create table pgtle.stand_in_extensions (name text primary key, version text not null, description text, ext text, requires text[]);
    create table pgtle.feature_info (feature pgtle.pg_tle_features, schema_name text, proname text, obj_identity text not null primary key);
    create function pgtle.install_extension(name text, version text, description text, ext text, requires text[] default null)
        returns boolean language sql as $f$ insert into pgtle.stand_in_extensions values (name, version, description, ext, requires) returning true $f$;
    create function pgtle.install_extension_version_sql(name text, version text, ext text) returns boolean language sql as $f$ select true $f$;
    create function pgtle.install_update_path(name text, fromvers text, tovers text, ext text) returns boolean language sql as $f$ select true $f$;
    create function pgtle.set_default_version(name text, version text) returns boolean language sql
        as $f$ update pgtle.stand_in_extensions e set version = set_default_version.version where e.name = set_default_version.name returning true $f$;
    create function pgtle.uninstall_extension(extname text) returns boolean language sql
        as $f$ with d as (delete from pgtle.stand_in_extensions where name = extname returning 1) select count(*) > 0 from d $f$;
    create function pgtle.uninstall_extension(extname text, version text) returns boolean language sql
        as $f$ select pgtle.uninstall_extension(extname) $f$;
    create function pgtle.uninstall_extension_if_exists(extname text) returns boolean language sql
        as $f$ select pgtle.uninstall_extension(extname) $f$;
    create function pgtle.available_extensions(out name name, out default_version text, out comment text) returns setof record language sql
        as $f$ select name::name, version, description from pgtle.stand_in_extensions $f$;
    create function pgtle.available_extension_versions(out name name, out version text, out superuser boolean, out trusted boolean,
        out relocatable boolean, out schema name, out requires name[], out comment text) returns setof record language sql
        as $f$ select name::name, version, false, false, false, null::name, requires::name[], description from pgtle.stand_in_extensions $f$;
    create function pgtle.extension_update_paths(name name, out source text, out target text, out path text) returns setof record language sql
        as $f$ select null::text, null::text, null::text where false $f$;
    create function pgtle.register_feature(proc regproc, feature pgtle.pg_tle_features) returns void language sql
        as $f$ insert into pgtle.feature_info values (feature, null, proc::text, proc::text || ':' || feature) on conflict do nothing $f$;
    create function pgtle.register_feature_if_not_exists(proc regproc, feature pgtle.pg_tle_features) returns boolean language sql
        as $f$ select pgtle.register_feature(proc, feature) is null $f$;
    create function pgtle.unregister_feature(proc regproc, feature pgtle.pg_tle_features) returns void language sql
        as $f$ delete from pgtle.feature_info where obj_identity = proc::text || ':' || feature $f$;
    create function pgtle.unregister_feature_if_exists(proc regproc, feature pgtle.pg_tle_features) returns boolean language sql
        as $f$ with d as (delete from pgtle.feature_info where obj_identity = proc::text || ':' || feature returning 1) select count(*) > 0 from d $f$;
end
$standin$
