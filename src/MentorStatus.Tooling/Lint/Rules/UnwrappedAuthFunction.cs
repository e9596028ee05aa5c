using MentorStatus.Tooling.Rules;
using MentorStatus.Tooling.Security;

namespace MentorStatus.Tooling.Lint;

public static partial class LintRules
{
    /// <summary>MS012 <c>unwrapped_auth_function</c> (warning). Its page: docs/rules/MS012.md; its cases: tests/MentorStatus.Tests/Lint/Corpus/MS012/.</summary>
    public static readonly LintRule UnwrappedAuthFunction = new("MS012", RuleLevel.Warning,
        "auth.uid() (or auth.jwt()/auth.role()) unwrapped in a policy",
        "Called bare, the function runs once per row the policy checks; wrapped in a sub-select PostgreSQL evaluates it once per statement (an initplan). On large tables this is orders of magnitude.",
        "Write `(select auth.uid())` instead of `auth.uid()` in USING and WITH CHECK.")
    {
        Name = "unwrapped_auth_function",
        Counterparts = "splinter: 0003 auth_rls_initplan",
    };

    /// <summary>
    /// MS012 on the catalog: a policy, introduced by the migration, that calls auth.uid()/jwt()/role() bare. "Unwrapped" is
    /// defined once, in <see cref="AuthCallWrapping"/>, shared with <c>db security</c>'s auth_rls_initplan.
    /// </summary>
    internal sealed class UnwrappedAuthFunctionCheck : LintCheck
    {
        public override IEnumerable<LintFinding> CheckFile(MigrationTrace trace) =>
            IntroducedOffences.Find(trace, UnwrappedAuthFunction, s => s.Policies.Values
                .Where(p => HasUnwrappedAuthCall(p.Expressions))
                .Select(p => new CatalogOffence($"{p.Oid}:{p.Name}", $"policy {p.Name} on {s.NameOf(p.Table)} calls auth functions per row: {p.Expressions.Trim()}")));

        /// <summary>The one definition of "unwrapped", shared with db security (rule auth_rls_initplan).</summary>
        public static bool HasUnwrappedAuthCall(string expression) => AuthCallWrapping.HasUnwrappedAuthCall(expression);
    }
}
