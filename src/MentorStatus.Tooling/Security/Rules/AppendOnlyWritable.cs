using MentorStatus.Tooling.Rules;
using static MentorStatus.Tooling.Security.CatalogQuery;

namespace MentorStatus.Tooling.Security;

public static partial class SecurityRules
{
    /// <summary>MS212 <c>append_only_writable</c> (ERROR). Its page: docs/rules/MS212.md; its cases: tests/MentorStatus.Tests/Security/SecurityInvariantTests.cs.</summary>
    public static readonly SecurityRule AppendOnlyWritable = new(
        "append_only_writable", RuleLevel.Error,
        "API role may write a table whose comment says it is append-only",
        $$"""
        select format('%I.%I', n.nspname, c.relname) as object,
               format('role %s holds %s on %I.%I, whose comment marks it append-only', r.rolname,
                      array_to_string(array(select priv from unnest(array['INSERT', 'UPDATE', 'DELETE', 'TRUNCATE']) as priv
                                            where has_table_privilege(r.oid, c.oid, priv)), ', '),
                      n.nspname, c.relname) as detail,
               obj_description(c.oid, 'pg_class') as comment, null::text as subject
        from pg_class c
        join pg_namespace n on n.oid = c.relnamespace
        cross join pg_roles r
        where {{IsTable}}
          and {{ApplicationSchema}}
          and obj_description(c.oid, 'pg_class') ~* 'append[- ]only'
          and r.rolname = any (@api_roles)
          and has_table_privilege(r.oid, c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE')
        """,
        "revoke insert, update, delete, truncate on the table from the API roles: writes go through a function that appends.")
    {
        Code = "MS212",
        Why = "A table whose comment says append-only (an audit trail) must not be writable by the API roles: writes go through a function that appends.",
        Counterparts = "the project's own; `db lint` MS014 finds a migration that rewrites such a table",
    };
}
