using MentorStatus.Tooling.Rules;
using static MentorStatus.Tooling.Security.CatalogQuery;

namespace MentorStatus.Tooling.Security;

public static partial class SecurityRules
{
    /// <summary>MS204 <c>auth_rls_initplan</c> (WARN). Its page: docs/rules/MS204.md; its cases: tests/MentorStatus.Tests/Security/SecurityInvariantTests.cs.</summary>
    public static readonly SecurityRule AuthRlsInitplan = new(
        "auth_rls_initplan", RuleLevel.Warning,
        "Policy calls auth.uid() / auth.jwt() / auth.role() once per row",
        Policies("""
            format('policy %s on %I.%I calls auth functions without (select ...), once per row: %s',
                   pol.polname, n.nspname, c.relname,
                   concat_ws(' / with check: ', pg_get_expr(pol.polqual, pol.polrelid), pg_get_expr(pol.polwithcheck, pol.polrelid)))
            """,
            // the subject: the policy's expressions, for the wrapping check SQL cannot do
            "coalesce(pg_get_expr(pol.polqual, pol.polrelid), '') || ' ' || coalesce(pg_get_expr(pol.polwithcheck, pol.polrelid), '')",
            ApplicationSchema),
        "Write (select auth.uid()) instead of auth.uid(): PostgreSQL then computes it once per query (an InitPlan).",
        AuthCallWrapping.HasUnwrappedAuthCall)
    {
        Code = "MS204",
        Why = "Auth.uid(), auth.jwt() or auth.role() called bare in a policy runs once per row; wrapped in (select …) PostgreSQL computes it once per query (an InitPlan).",
        Counterparts = "splinter 0003 auth_rls_initplan; `db lint` MS012 is the same check on a migration (AuthCallWrapping)",
    };
}
