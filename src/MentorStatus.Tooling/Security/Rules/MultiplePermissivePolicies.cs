using MentorStatus.Tooling.Rules;
using static MentorStatus.Tooling.Security.CatalogQuery;

namespace MentorStatus.Tooling.Security;

public static partial class SecurityRules
{
    /// <summary>MS216 <c>multiple_permissive_policies</c> (WARN). Its page: docs/rules/MS216.md; its cases: tests/MentorStatus.Tests/Security/SecurityInvariantTests.cs.</summary>
    public static readonly SecurityRule MultiplePermissivePolicies = new(
        "multiple_permissive_policies", RuleLevel.Warning,
        "Table with several permissive policies for the same role and command",
        $$"""
        select format('%I.%I', n.nspname, c.relname) as object,
               format('table %I.%I has permissive policies %s for the same role and command: PostgreSQL ORs them into one expression, evaluated for every row and with no single index condition',
                      n.nspname, c.relname, string_agg(distinct quote_ident(p1.polname), ', ')) as detail,
               obj_description(c.oid, 'pg_class') as comment, null::text as subject
        from pg_policy p1
        join pg_policy p2 on p2.polrelid = p1.polrelid and p2.oid <> p1.oid
        join pg_class c on c.oid = p1.polrelid
        join pg_namespace n on n.oid = c.relnamespace
        where {{ExposedSchema}}
          and {{NotExtensionRelation}}
          and p1.polpermissive and p2.polpermissive
          and (p1.polcmd = p2.polcmd or p1.polcmd = '*' or p2.polcmd = '*')
          and (0::oid = any (p1.polroles) or 0::oid = any (p2.polroles) or p1.polroles && p2.polroles)
        group by c.oid, n.nspname, c.relname
        """,
        "Merge them into one policy per role and command whose first conjunct is an index condition (column = any (array(select helper()))).")
    {
        Code = "MS216",
        Why = "PostgreSQL ORs permissive policies for the same role and command into one expression, evaluated for every row and with no single index condition.",
        Counterparts = "splinter 0006 multiple_permissive_policies",
    };
}
