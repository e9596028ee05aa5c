using MentorStatus.Tooling.Rules;

namespace MentorStatus.Tooling.Lint;

public static partial class LintRules
{
    /// <summary>MS013 <c>security_definer_search_path</c> (error). Its page: docs/rules/MS013.md; its cases: tests/MentorStatus.Tests/Lint/Corpus/MS013/.</summary>
    public static readonly LintRule SecurityDefinerSearchPath = new("MS013", RuleLevel.Error,
        "SECURITY DEFINER function without a fixed search_path",
        "The function runs with its owner's rights but resolves unqualified names through the caller's search_path: a caller can put their own objects first and run code as the owner.",
        "Add `set search_path = pg_catalog, pg_temp` (pg_temp named last) to the function and schema-qualify every other name in its body.")
    {
        Name = "security_definer_search_path",
        Counterparts = "splinter: 0011 function_search_path_mutable",
    };

    /// <summary>MS013 on the catalog: a security definer function without <c>set search_path</c>, introduced by the migration.</summary>
    internal sealed class SecurityDefinerSearchPathCheck : LintCheck
    {
        public override IEnumerable<LintFinding> CheckFile(MigrationTrace trace) =>
            IntroducedOffences.Find(trace, SecurityDefinerSearchPath, s => s.Functions.Values
                .Where(f => f.SecurityDefiner && !f.FixedSearchPath)
                .Select(f => new CatalogOffence($"{f.Oid}", $"security definer function {f.Signature} has no `set search_path`")));
    }
}
