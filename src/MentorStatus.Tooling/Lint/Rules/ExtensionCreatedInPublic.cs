using MentorStatus.Tooling.Rules;

namespace MentorStatus.Tooling.Lint;

public static partial class LintRules
{
    /// <summary>MS023 <c>extension_created_in_public</c> (warning). Its page: docs/rules/MS023.md; its cases: tests/MentorStatus.Tests/Lint/Corpus/MS023/.</summary>
    public static readonly LintRule ExtensionCreatedInPublic = new("MS023", RuleLevel.Warning,
        "extension created in schema public",
        "Its functions, types and tables land in the API's schema: PostgREST offers them as endpoints, and they clutter the public namespace. " +
        "Supabase keeps extensions in schema `extensions`, which is on the roles' search_path.",
        "`create extension if not exists … with schema extensions;`")
    {
        Name = "extension_created_in_public",
        Counterparts = "splinter: 0014 extension_in_public",
    };

    /// <summary>MS023 on the catalog: an extension in schema public, introduced by the migration.</summary>
    internal sealed class ExtensionCreatedInPublicCheck : LintCheck
    {
        public override IEnumerable<LintFinding> CheckFile(MigrationTrace trace) =>
            IntroducedOffences.Find(trace, ExtensionCreatedInPublic, s => s.Extensions.Values.Where(e => e.Schema == "public")
                .Select(e => new CatalogOffence($"{e.Oid}:{e.Schema}", $"extension {e.Name} is installed in schema public")));
    }
}
