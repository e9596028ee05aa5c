using MentorStatus.Tooling.Rules;

namespace MentorStatus.Tooling.Lint;

public static partial class LintRules
{
    /// <summary>MS010 <c>exposed_without_rls</c> (error). Its page: docs/rules/MS010.md; its cases: tests/MentorStatus.Tests/Lint/Corpus/MS010/.</summary>
    public static readonly LintRule ExposedWithoutRls = new("MS010", RuleLevel.Error,
        "public table reachable by anon/authenticated with RLS disabled",
        "Supabase's default privileges grant ALL on every new table in public to anon and authenticated: without row-level security " +
        "every row can be read and written by anyone with the project's anon key, through PostgREST.",
        "`alter table … enable row level security;` in the same migration (no policy = deny), then add policies; " +
        "or `revoke all on table … from anon, authenticated;` for a table the API must not see.")
    {
        Name = "exposed_without_rls",
        Counterparts = "splinter: 0013 rls_disabled_in_public",
    };

    /// <summary>MS010 on the catalog, as splinter reads it: a table the API roles can reach with RLS off, introduced by the migration.</summary>
    internal sealed class ExposedWithoutRlsCheck : LintCheck
    {
        public override IEnumerable<LintFinding> CheckFile(MigrationTrace trace) =>
            IntroducedOffences.Find(trace, ExposedWithoutRls, s => s.Relations.Values.Where(r => r.Exposed)
                .Select(r => new CatalogOffence($"{r.Oid}", $"table {r.QualifiedName} is readable and writable by anon/authenticated (PostgREST) and has row-level security disabled")));
    }
}
