using MentorStatus.Tooling.Security;

namespace MentorStatus.Tooling.Lint;

/// <summary>
/// Supabase security lints as catalog checks on the state after the migration (splinter's way):
/// MS010 public table exposed with RLS off, MS011 policy on a table with RLS off, MS012 auth.uid()
/// unwrapped in a policy, MS013 security definer function without a fixed search_path.
/// Only what this migration introduced is reported; the line is the statement that introduced it.
/// </summary>
internal sealed class SupabaseExposureRules : ILintRuleFamily
{
    public IEnumerable<LintFinding> Check(MigrationTrace trace)
    {
        foreach (var finding in IntroducedOffences.Find(trace, LintRules.ExposedWithoutRls, s => s.Relations.Values.Where(r => r.Exposed)
                     .Select(r => new CatalogOffence($"{r.Oid}", $"table {r.QualifiedName} is readable and writable by anon/authenticated (PostgREST) and has row-level security disabled"))))
            yield return finding;
        foreach (var finding in IntroducedOffences.Find(trace, LintRules.PolicyWithRlsOff, s => s.Policies.Values
                     .Where(p => s.Relations.TryGetValue(p.Table, out var r) && !r.RowSecurity)
                     .Select(p => new CatalogOffence($"{p.Oid}", $"policy {p.Name} on {s.NameOf(p.Table)}, which has row-level security disabled"))))
            yield return finding;
        foreach (var finding in IntroducedOffences.Find(trace, LintRules.UnwrappedAuthFunction, s => s.Policies.Values
                     .Where(p => HasUnwrappedAuthCall(p.Expressions))
                     .Select(p => new CatalogOffence($"{p.Oid}:{p.Name}", $"policy {p.Name} on {s.NameOf(p.Table)} calls auth functions per row: {p.Expressions.Trim()}"))))
            yield return finding;
        foreach (var finding in IntroducedOffences.Find(trace, LintRules.SecurityDefinerSearchPath, s => s.Functions.Values
                     .Where(f => f.SecurityDefiner && !f.FixedSearchPath)
                     .Select(f => new CatalogOffence($"{f.Oid}", $"security definer function {f.Signature} has no `set search_path`"))))
            yield return finding;
    }

    /// <summary>The one definition of "unwrapped", shared with db security (rule auth_rls_initplan).</summary>
    public static bool HasUnwrappedAuthCall(string expression) => AuthCallWrapping.HasUnwrappedAuthCall(expression);
}
