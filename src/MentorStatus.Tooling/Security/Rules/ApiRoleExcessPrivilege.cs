using MentorStatus.Tooling.Rules;
using static MentorStatus.Tooling.Security.CatalogQuery;

namespace MentorStatus.Tooling.Security;

public static partial class SecurityRules
{
    /// <summary>MS211 <c>api_role_excess_privilege</c> (ERROR). Its page: docs/rules/MS211.md; its cases: tests/MentorStatus.Tests/Security/SecurityInvariantTests.cs.</summary>
    public static readonly SecurityRule ApiRoleExcessPrivilege = new(
        "api_role_excess_privilege", RuleLevel.Error,
        "API role holds a table privilege the API does not need",
        $$"""
        with tables as (
            select c.oid, c.relkind, c.relrowsecurity, format('%I.%I', n.nspname, c.relname) as name
            from pg_class c
            join pg_namespace n on n.oid = c.relnamespace
            where {{IsReadableRelation}}
              and {{ExposedSchema}}
              and {{NotExtensionRelation}}
        ),
        held as (
            select t.oid, t.name, r.rolname, priv,
                   case
                       when priv in ('TRUNCATE', 'TRIGGER', 'REFERENCES') then true
                       -- a role past RLS (service_role) needs no policy; a view has none
                       when r.rolbypassrls or t.relkind not in ('r', 'p') then false
                       else not exists (
                           select 1 from pg_policy pol
                           where pol.polrelid = t.oid
                             and pol.polpermissive
                             and pol.polcmd in ('*', case priv when 'SELECT' then 'r' when 'INSERT' then 'a' when 'UPDATE' then 'w' else 'd' end)
                             and (0::oid = any (pol.polroles) or r.oid = any (pol.polroles)))
                   end as excess
            from tables t
            cross join pg_roles r
            cross join unnest(array['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'TRIGGER', 'REFERENCES']) as priv
            where r.rolname = any (@api_roles)
              and has_table_privilege(r.oid, t.oid, priv)
        )
        select h.name as object,
               format('role %s holds %s on %s, which no policy for it needs%s', h.rolname,
                      string_agg(h.priv, ', ' order by array_position(array['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'TRIGGER', 'REFERENCES'], h.priv)),
                      h.name,
                      case when bool_or(h.priv in ('TRUNCATE', 'TRIGGER', 'REFERENCES'))
                           then ' (TRUNCATE skips row triggers, TRIGGER lets the role attach code to every write, REFERENCES lets it probe and pin rows)' else '' end) as detail,
               obj_description(h.oid, 'pg_class') as comment, null::text as subject
        from held h
        where h.excess
        group by h.oid, h.name, h.rolname
        """,
        "revoke … on table … from the role (and narrow `alter default privileges` so new tables do not get it again); grant only what a policy needs.")
    {
        Code = "MS211",
        Why = "An API role holding a table privilege no policy for it needs (and TRUNCATE, TRIGGER or REFERENCES always): Supabase's default privileges grant them all; what no policy uses is only attack surface.",
        Counterparts = "the project's own; `db lint` MS024 finds TRUNCATE, TRIGGER, REFERENCES or ALL granted in a migration",
    };
}
