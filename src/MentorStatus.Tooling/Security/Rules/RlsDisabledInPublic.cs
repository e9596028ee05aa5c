using MentorStatus.Tooling.Rules;
using static MentorStatus.Tooling.Security.CatalogQuery;

namespace MentorStatus.Tooling.Security;

public static partial class SecurityRules
{
    /// <summary>MS201 <c>rls_disabled_in_public</c> (ERROR). Its page: docs/rules/MS201.md; its cases: tests/MentorStatus.Tests/Security/SecurityInvariantTests.cs.</summary>
    public static readonly SecurityRule RlsDisabledInPublic = new(
        "rls_disabled_in_public", RuleLevel.Error,
        "Table in an exposed schema with row-level security disabled",
        Relations("""
            format('table %I.%I in exposed schema %I has row-level security disabled: every API role with a grant reads and writes every row',
                   n.nspname, c.relname, n.nspname)
            """,
            IsTable, ExposedSchema, "not c.relrowsecurity", NotExtensionRelation),
        "alter table … enable row level security; then add a policy for what each API role may see.")
    {
        Code = "MS201",
        Why = "A table in an exposed schema with row-level security disabled: Supabase's default privileges give the API roles every table of public, so without RLS every role with a grant reads and writes every row through PostgREST.",
        Counterparts = "splinter 0013 rls_disabled_in_public; `db lint` MS010 finds the migration that introduces it",
    };
}
