using MentorStatus.Tooling.Rules;

namespace MentorStatus.Tooling.Lint;

public static partial class LintRules
{
    /// <summary>MS011 <c>policy_with_rls_off</c> (error). Its page: docs/rules/MS011.md; its cases: tests/MentorStatus.Tests/Lint/Corpus/MS011/.</summary>
    public static readonly LintRule PolicyWithRlsOff = new("MS011", RuleLevel.Error,
        "policy on a table with RLS disabled",
        "Policies do nothing while row-level security is off: the table is as open as its grants, and the policy only suggests it is protected.",
        "`alter table … enable row level security;`.")
    {
        Name = "policy_with_rls_off",
        Counterparts = "splinter: 0007 policy_exists_rls_disabled",
    };

    /// <summary>MS011 on the catalog: a policy on a table whose row-level security is off, introduced by the migration.</summary>
    internal sealed class PolicyWithRlsOffCheck : LintCheck
    {
        public override IEnumerable<LintFinding> CheckFile(MigrationTrace trace) =>
            IntroducedOffences.Find(trace, PolicyWithRlsOff, s => s.Policies.Values
                .Where(p => s.Relations.TryGetValue(p.Table, out var r) && !r.RowSecurity)
                .Select(p => new CatalogOffence($"{p.Oid}", $"policy {p.Name} on {s.NameOf(p.Table)}, which has row-level security disabled")));
    }
}
