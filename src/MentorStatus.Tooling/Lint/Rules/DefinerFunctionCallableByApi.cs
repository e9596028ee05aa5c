using System.Text.RegularExpressions;
using MentorStatus.Tooling.Rules;

namespace MentorStatus.Tooling.Lint;

public static partial class LintRules
{
    /// <summary>MS021 <c>definer_function_callable_by_api</c> (warning). Its page: docs/rules/MS021.md; its cases: tests/MentorStatus.Tests/Lint/Corpus/MS021/.</summary>
    public static readonly LintRule DefinerFunctionCallableByApi = new("MS021", RuleLevel.Warning,
        "security definer function in an exposed schema executable by anon/authenticated",
        "PostgREST offers every function of an exposed schema as /rpc/<name>; a security definer one runs with its owner's rights, past RLS, " +
        "for anyone the EXECUTE privilege reaches (PostgreSQL grants it to PUBLIC by default, Supabase to anon and authenticated).",
        "Move it to a schema the API does not expose, or `revoke execute on function … from public, anon[, authenticated]` and grant it only " +
        "where meant. An RPC entry point that checks its caller itself is fine: acknowledge it with `-- lint: ignore MS021 because …`.")
    {
        Name = "definer_function_callable_by_api",
        Counterparts = "splinter: 0028 anon_security_definer_function_executable, 0029 authenticated_security_definer_function_executable",
    };

    /// <summary>MS021 on the catalog: a security definer function in an exposed schema that anon/authenticated may execute, introduced by the migration.</summary>
    internal sealed class DefinerFunctionCallableByApiCheck : LintCheck
    {
        public override IEnumerable<LintFinding> CheckFile(MigrationTrace trace) => IntroducedOffences.Find(trace, DefinerFunctionCallableByApi, DefinerOffences);

        public static IEnumerable<CatalogOffence> DefinerOffences(CatalogState state) => state.Functions.Values
            .Where(f => f.SecurityDefiner && f.ApiExecutable && !f.ReturnsTrigger)
            .Select(f => new CatalogOffence($"{f.Oid}", $"security definer function {f.Signature} in exposed schema {f.Schema} may be executed by anon/authenticated (as /rpc/…)"));
    }

    /// <summary>
    /// MS021 for a definer function the API may call that this migration re-created (create or replace keeps its OID, so it is not
    /// "introduced"): the file wrote it again and is the place to fix it, even if the version before had the same flaw.
    /// </summary>
    internal sealed partial class DefinerFunctionRecreatedCheck : LintCheck
    {
        public override IEnumerable<LintFinding> CheckFile(MigrationTrace trace)
        {
            var introduced = DefinerFunctionCallableByApiCheck.DefinerOffences(trace.Final).Select(o => o.Key)
                .Except(DefinerFunctionCallableByApiCheck.DefinerOffences(trace.Baseline).Select(o => o.Key)).ToHashSet();
            foreach (var f in trace.Final.Functions.Values.Where(f => !introduced.Contains($"{f.Oid}")
                                                                      && DefinerFunctionCallableByApiCheck.DefinerOffences(trace.Final).Any(o => o.Key == $"{f.Oid}")))
            {
                var recreated = trace.Steps.LastOrDefault(s => s.Traced && CreateFunction().IsMatch(s.Statement.Normalized)
                    && s.Before!.Functions.TryGetValue(f.Oid, out var old) && s.After!.Functions.TryGetValue(f.Oid, out var now) && old.RowVersion != now.RowVersion);
                if (recreated is not null)
                    yield return LintFinding.For(DefinerFunctionCallableByApi, trace.Migration.DisplayPath, recreated.Statement,
                        $"security definer function {f.Signature} in exposed schema {f.Schema} may be executed by anon/authenticated (as /rpc/…); " +
                        "this migration re-creates it (the version before had the same exposure)");
            }
        }

        [GeneratedRegex(@"^create (?:or replace )?(?:function|procedure) ")]
        private static partial Regex CreateFunction();
    }
}
