using MentorStatus.Tooling.Rules;

namespace MentorStatus.Tooling.Lint;

public static partial class LintRules
{
    /// <summary>MS019 <c>view_bypasses_rls</c> (error). Its page: docs/rules/MS019.md; its cases: tests/MentorStatus.Tests/Lint/Corpus/MS019/.</summary>
    public static readonly LintRule ViewBypassesRls = new("MS019", RuleLevel.Error,
        "view or materialized view in an exposed schema reads past row-level security",
        "A view runs with its owner's rights unless it is created `with (security_invoker = true)`: anon and authenticated read every row of " +
        "the RLS tables beneath it through PostgREST. A materialized view has no RLS at all: whoever may select it reads all it holds. " +
        "A view over auth.users publishes the users' e-mails and metadata.",
        "`create view … with (security_invoker = true) as …` (or `alter view … set (security_invoker = true)`); for a materialized view or one " +
        "over auth.users: move it to a schema the API does not expose, or `revoke select on … from anon, authenticated`.")
    {
        Name = "view_bypasses_rls",
        Counterparts = "splinter: 0010 security_definer_view, 0002 auth_users_exposed, 0016 materialized_view_in_api",
    };

    /// <summary>
    /// MS019 on the catalog, in the exposed schemas, introduced by the migration: a view that reads RLS tables as its owner, a
    /// view over auth.users, a materialized view the API roles can read.
    /// </summary>
    internal sealed class ViewBypassesRlsCheck : LintCheck
    {
        public override IEnumerable<LintFinding> CheckFile(MigrationTrace trace)
        {
            var exposed = trace.ExposedSchemas;
            return IntroducedOffences.Find(trace, ViewBypassesRls, s => ViewOffences(s, exposed));
        }

        private static IEnumerable<CatalogOffence> ViewOffences(CatalogState state, IReadOnlySet<string> exposed)
        {
            foreach (var r in state.Relations.Values.Where(r => r.Kind is 'v' or 'm' && r.ApiReadable && exposed.Contains(r.Schema)))
            {
                if (r.Kind == 'm')
                    yield return new CatalogOffence($"{r.Oid}:m", $"materialized view {r.QualifiedName} in exposed schema {r.Schema} is readable by anon/authenticated, " +
                        "and a materialized view has no row-level security" + (r.RlsSources.Length > 0 ? $" (it copies rows of {r.RlsSources})" : ""));
                else if (r.ReadsAuthUsers && !r.SecurityInvoker)
                    yield return new CatalogOffence($"{r.Oid}:auth", $"view {r.QualifiedName} in exposed schema {r.Schema} reads auth.users and is readable by anon/authenticated");
                else if (!r.SecurityInvoker && r.RlsSources.Length > 0)
                    yield return new CatalogOffence($"{r.Oid}:v", $"view {r.QualifiedName} in exposed schema {r.Schema} runs as its owner (no security_invoker = true) " +
                        $"and reads {r.RlsSources}, which has row-level security: anon/authenticated read past its policies");
            }
        }
    }
}
