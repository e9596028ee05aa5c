using MentorStatus.Tooling.Rules;
using static MentorStatus.Tooling.Security.CatalogQuery;

namespace MentorStatus.Tooling.Security;

public static partial class SecurityRules
{
    /// <summary>MS203 <c>rls_enabled_no_policy</c> (INFO). Its page: docs/rules/MS203.md; its cases: tests/MentorStatus.Tests/Security/SecurityInvariantTests.cs.</summary>
    public static readonly SecurityRule RlsEnabledNoPolicy = new(
        "rls_enabled_no_policy", RuleLevel.Info,
        "Table with row-level security enabled and no policy",
        Relations("""
            format('table %I.%I has row-level security enabled and no policy: anon and authenticated see no row (intended for tables only the backend reads)',
                   n.nspname, c.relname)
            """,
            IsTable, ExposedSchema, "c.relrowsecurity", "not exists (select 1 from pg_policy pol where pol.polrelid = c.oid)",
            NotExtensionRelation),
        "Nothing to do when only service_role or the owner should read it; otherwise add a policy.")
    {
        Code = "MS203",
        Why = "RLS with no policy denies anon and authenticated every row: this project's way to keep a table to the backend, so only listed.",
        Counterparts = "splinter 0008 rls_enabled_no_policy",
    };
}
