using MentorStatus.Tooling.Rules;
using static MentorStatus.Tooling.Security.CatalogQuery;

namespace MentorStatus.Tooling.Security;

public static partial class SecurityRules
{
    /// <summary>MS217 <c>policy_or_not_index_bound</c> (WARN). Its page: docs/rules/MS217.md; its cases: tests/MentorStatus.Tests/Security/SecurityInvariantTests.cs.</summary>
    public static readonly SecurityRule PolicyOrNotIndexBound = new(
        "policy_or_not_index_bound", RuleLevel.Warning,
        "Policy whose OR of membership tests no index can serve",
        Policies("""
            format('policy %s on %I.%I is an OR of membership tests with no condition an index can serve alone: a user who sees nothing makes an ordered query read and filter every row: %s',
                   pol.polname, n.nspname, c.relname, pg_get_expr(pol.polqual, pol.polrelid))
            """,
            "pg_get_expr(pol.polqual, pol.polrelid)",
            ExposedSchema, IsTable, "pol.polpermissive", "pol.polcmd in ('r', '*')", "pol.polqual is not null"),
        "Lead with one index condition: column = any (array(select helper())) over every row an arm allows (a union of the helpers), and keep the OR as a filter after AND.",
        PolicyIndexBinding.IsUnboundOr)
    {
        Code = "MS217",
        Why = "A policy that is an OR of membership tests with no conjunct an index can serve alone makes an ordered, limited query of a user who sees nothing read and filter every row.",
        Counterparts = "the project's own",
    };
}
