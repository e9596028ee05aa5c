using MentorStatus.Database.Security;

namespace MentorStatus.Database.Lint;

/// <summary>
/// Supabase security lints as catalog checks on the state after the migration (splinter's way):
/// MS010 public table exposed with RLS off, MS011 policy on a table with RLS off, MS012 auth.uid()
/// unwrapped in a policy, MS013 security definer function without a fixed search_path.
/// Only what this migration introduced is reported; the line is the statement that introduced it.
/// </summary>
internal sealed class SupabaseExposureRules : ILintRuleFamily
{
    private sealed record Offence(string Key, string Message);

    public IEnumerable<LintFinding> Check(MigrationTrace trace)
    {
        foreach (var finding in Introduced(trace, LintRules.ExposedWithoutRls, s => s.Relations.Values.Where(r => r.Exposed)
                     .Select(r => new Offence($"{r.Oid}", $"table {r.QualifiedName} is readable and writable by anon/authenticated (PostgREST) and has row-level security disabled"))))
            yield return finding;
        foreach (var finding in Introduced(trace, LintRules.PolicyWithRlsOff, s => s.Policies.Values
                     .Where(p => s.Relations.TryGetValue(p.Table, out var r) && !r.RowSecurity)
                     .Select(p => new Offence($"{p.Oid}", $"policy {p.Name} on {s.NameOf(p.Table)}, which has row-level security disabled"))))
            yield return finding;
        foreach (var finding in Introduced(trace, LintRules.UnwrappedAuthFunction, s => s.Policies.Values
                     .Where(p => HasUnwrappedAuthCall(p.Expressions))
                     .Select(p => new Offence($"{p.Oid}:{p.Expressions}", $"policy {p.Name} on {s.NameOf(p.Table)} calls auth functions per row: {p.Expressions.Trim()}"))))
            yield return finding;
        foreach (var finding in Introduced(trace, LintRules.SecurityDefinerSearchPath, s => s.Functions.Values
                     .Where(f => f.SecurityDefiner && !f.FixedSearchPath)
                     .Select(f => new Offence($"{f.Oid}", $"security definer function {f.Signature} has no `set search_path`"))))
            yield return finding;
    }

    /// <summary>The one definition of "unwrapped", shared with db security (rule auth_rls_initplan).</summary>
    public static bool HasUnwrappedAuthCall(string expression) => AuthCallWrapping.HasUnwrappedAuthCall(expression);

    /// <summary>Offences present after the migration and not before it, each pinned to the last statement that brought it in.</summary>
    private static IEnumerable<LintFinding> Introduced(MigrationTrace trace, LintRule rule, Func<CatalogState, IEnumerable<Offence>> offences)
    {
        var before = offences(trace.Baseline).Select(o => o.Key).ToHashSet();
        foreach (var offence in offences(trace.Final).Where(o => !before.Contains(o.Key)))
        {
            var step = trace.Steps.LastOrDefault(s => s.Traced
                && offences(s.After!).Any(o => o.Key == offence.Key)
                && !offences(s.Before!).Any(o => o.Key == offence.Key));
            yield return step is null
                ? LintFinding.ForFile(rule, trace.Migration.DisplayPath, offence.Message + " after the migration")
                : LintFinding.For(rule, trace.Migration.DisplayPath, step.Statement, offence.Message + " after the migration");
        }
    }
}
