using MentorStatus.Tooling.Rules;
using static MentorStatus.Tooling.Security.CatalogQuery;

namespace MentorStatus.Tooling.Security;

public static partial class SecurityRules
{
    /// <summary>MS202 <c>policy_exists_rls_disabled</c> (ERROR). Its page: docs/rules/MS202.md; its cases: tests/MentorStatus.Tests/Security/SecurityInvariantTests.cs.</summary>
    public static readonly SecurityRule PolicyExistsRlsDisabled = new(
        "policy_exists_rls_disabled", RuleLevel.Error,
        "Policy on a table whose row-level security is disabled",
        Policies("format('policy %I on %I.%I does nothing: the table has row-level security disabled', pol.polname, n.nspname, c.relname)",
            NoSubject,
            "not c.relrowsecurity", ApplicationSchema),
        "alter table … enable row level security (the policy was meant to apply), or drop the policy.")
    {
        Code = "MS202",
        Why = "A policy on a table whose row-level security is off does nothing: the table is as open as its grants, and the policy only suggests it is protected.",
        Counterparts = "splinter 0007 policy_exists_rls_disabled; `db lint` MS011",
    };
}
