using MentorStatus.Tooling.Rules;

namespace MentorStatus.Tooling.Lint;

public static partial class LintRules
{
    /// <summary>MS022 <c>definer_search_path_without_pg_temp</c> (warning). Its page: docs/rules/MS022.md; its cases: tests/MentorStatus.Tests/Lint/Corpus/MS022/.</summary>
    public static readonly LintRule DefinerSearchPathWithoutPgTemp = new("MS022", RuleLevel.Warning,
        "security definer function whose search_path does not end with pg_temp",
        "Even with `set search_path = ''` PostgreSQL searches the caller's temporary schema first for tables and types: a caller who can " +
        "create temporary objects can shadow an unqualified name (a cast to uuid, a table in an inlined function) and run their code as the owner.",
        "Write `set search_path = pg_catalog, pg_temp` (or list the schemas you need, then pg_temp last).")
    {
        Name = "definer_search_path_without_pg_temp",
        Counterparts = "splinter: stricter than 0011",
    };

    /// <summary>MS022 on the catalog: a security definer function whose search_path does not end with pg_temp, introduced by the migration.</summary>
    internal sealed class DefinerSearchPathWithoutPgTempCheck : LintCheck
    {
        public override IEnumerable<LintFinding> CheckFile(MigrationTrace trace) =>
            IntroducedOffences.Find(trace, DefinerSearchPathWithoutPgTemp, s => s.Functions.Values
                .Where(f => f.SecurityDefiner && f.SearchPath is { } path && !EndsWithPgTemp(path))
                .Select(f => new CatalogOffence($"{f.Oid}:{f.SearchPath}",
                    $"security definer function {f.Signature} has search_path = {(f.SearchPath is "\"\"" or "" ? "''" : f.SearchPath)}, without pg_temp last: " +
                    "the caller's temporary schema is searched first for tables and types")));

        private static bool EndsWithPgTemp(string searchPath)
        {
            var schemas = searchPath.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                .Select(s => s.Trim('"')).Where(s => s.Length > 0).ToList();
            return schemas.Count > 0 && schemas[^1] == "pg_temp";
        }
    }
}
