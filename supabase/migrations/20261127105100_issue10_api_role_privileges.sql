-- requires: 20261127105000
-- issue 10, part 4: the API roles hold what the API needs, nothing more.
--
-- Supabase's default privileges grant anon, authenticated and service_role ALL on every table
-- created in public: SELECT, INSERT, UPDATE, DELETE, and also TRUNCATE (bypasses row triggers and
-- RLS), TRIGGER (a signed-in user could attach a trigger to a table: it would run on every later
-- write by anyone, and one that raises breaks every status change) and REFERENCES (a foreign key
-- from a table of the user's pointing at ours lets them probe for ids and block deletes).
--
-- For every table (and view) of schema public, the schema PostgREST exposes (supabase/config.toml
-- [api] schemas), found in the catalog rather than listed by name:
--   anon           nothing: no policy lets anon read or write anything (and with no SELECT, pg_graphql
--                  on hosted Supabase does not show the table to anon either);
--   authenticated  SELECT where a policy lets authenticated (or PUBLIC) read, INSERT/UPDATE/DELETE
--                  only where a policy for that command exists (today none: writes go through
--                  functions), never TRUNCATE, TRIGGER, REFERENCES;
--   service_role   keeps what it holds (it bypasses RLS and runs the trusted backend: its writes to
--                  organisations, chapters, mentors and assignments are the admin path), minus
--                  TRUNCATE, TRIGGER and REFERENCES, which no API caller needs.
-- `db security` checks the same rules on every table of every exposed schema.
--
-- Future tables: the default privileges of role postgres in schema public are narrowed the same way
-- (anon: nothing; authenticated: SELECT only; service_role: SELECT, INSERT, UPDATE, DELETE). A new
-- table that needs more for an API role grants it explicitly, next to the policy that needs it.
-- Functions keep Supabase's default EXECUTE (PUBLIC holds it globally; an rpc is granted on purpose
-- and `db security` flags definer functions anon or authenticated may call in exposed schemas).
--
-- The previous grants are kept in a private table so that the rollback restores them exactly.

set lock_timeout = '5s';

create table mentor_status_private.rollback_state_20261127105100 (
    table_name text not null,
    grantee text not null,
    privileges text[] not null,
    position integer not null,
    primary key (table_name, grantee)
);

comment on table mentor_status_private.rollback_state_20261127105100 is
    'The grants the API roles held on each table before migration 20261127105100 narrowed them; read by '
    'its rollback only. No API role may read it.';

alter table mentor_status_private.rollback_state_20261127105100 enable row level security;
revoke all on table mentor_status_private.rollback_state_20261127105100 from public, anon, authenticated, service_role;

do $narrow_grants$
declare
    v_table record;
    v_command text;
    v_needed boolean;
begin
    for v_table in
        select c.oid, pg_catalog.format('%I.%I', n.nspname, c.relname) as name, c.relacl
        from pg_catalog.pg_class c
        join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'public'
          and c.relkind in ('r', 'p', 'v', 'm', 'f')
          and pg_catalog.pg_has_role(c.relowner, 'USAGE')
          and not exists (select 1 from pg_catalog.pg_depend d
                          where d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass and d.objid = c.oid and d.deptype = 'e')
        order by 2
    loop
        -- what each API role held, in ACL order (the rollback grants them back in the same order)
        insert into mentor_status_private.rollback_state_20261127105100 (table_name, grantee, privileges, position)
        select v_table.name, r.rolname, pg_catalog.array_agg(a.privilege_type order by a.privilege_type), pg_catalog.min(a.ord)
        from pg_catalog.aclexplode(v_table.relacl) with ordinality as a (grantor, grantee, privilege_type, is_grantable, ord)
        join pg_catalog.pg_roles r on r.oid = a.grantee
        where r.rolname in ('anon', 'authenticated', 'service_role')
        group by r.rolname;

        execute pg_catalog.format('revoke all on table %s from anon', v_table.name);
        execute pg_catalog.format('revoke truncate, trigger, references on table %s from authenticated, service_role', v_table.name);

        foreach v_command in array array['SELECT', 'INSERT', 'UPDATE', 'DELETE'] loop
            -- a permissive policy for this command (or ALL) that applies to authenticated or PUBLIC
            select exists (
                select 1
                from pg_catalog.pg_policy p
                where p.polrelid = v_table.oid
                  and p.polpermissive
                  and p.polcmd in ('*', case v_command when 'SELECT' then 'r' when 'INSERT' then 'a'
                                                       when 'UPDATE' then 'w' else 'd' end)
                  and (0::pg_catalog.oid = any (p.polroles)
                       or (select oid from pg_catalog.pg_roles where rolname = 'authenticated') = any (p.polroles))
            ) into v_needed;
            if not v_needed then
                execute pg_catalog.format('revoke %s on table %s from authenticated', v_command, v_table.name);
            end if;
        end loop;
    end loop;
end
$narrow_grants$;

alter default privileges for role postgres in schema public
    revoke all on tables from anon;
alter default privileges for role postgres in schema public
    revoke insert, update, delete, truncate, trigger, references on tables from authenticated;
alter default privileges for role postgres in schema public
    revoke truncate, trigger, references on tables from service_role;
