using System.Text.RegularExpressions;
using MentorStatus.Database.Migrations;

namespace MentorStatus.Database.Lint;

/// <summary>
/// MS014: UPDATE, DELETE or TRUNCATE against a table whose comment says it is append-only (the marker the
/// history migration uses: "Append-only audit trail …"; matched as `append-only` or `append only`, any case).
/// The targets are read from the statement text, resolved in the replay session (search_path, tables created
/// earlier in the file), and checked against the catalog: an empty throwaway table counts no modified rows.
/// </summary>
internal sealed partial class AppendOnlyRules : ILintRuleFamily
{
    private const string Name = @"(?:""[^""]+""|[a-z_][a-z0-9_$]*)(?:\.(?:""[^""]+""|[a-z_][a-z0-9_$]*))?";

    [GeneratedRegex($@"\bupdate (?:only )?(?<name>{Name})(?: \*)?(?: (?:as )?[a-z_][a-z0-9_]*)? set\b")]
    private static partial Regex Update();

    [GeneratedRegex($@"\bdelete from (?:only )?(?<name>{Name})")]
    private static partial Regex Delete();

    [GeneratedRegex($@"^truncate (?:table )?(?<names>(?:only )?{Name}(?: \*)?(?:, ?(?:only )?{Name}(?: \*)?)*)")]
    private static partial Regex Truncate();

    /// <summary>Bodies and literals are not statements of the migration: a function body that updates is not an update now.</summary>
    [GeneratedRegex(@"\$([a-z0-9_]*)\$.*?\$\1\$|'(?:[^']|'')*'", RegexOptions.Singleline | RegexOptions.IgnoreCase)]
    private static partial Regex QuotedText();

    public static IReadOnlyList<(string Verb, string Name)> ModifiedTables(SqlStatement statement)
    {
        var text = QuotedText().Replace(statement.Normalized, "''");
        if (text.StartsWith("create ", StringComparison.Ordinal) && !text.StartsWith("create table", StringComparison.Ordinal))
            return []; // create function/trigger/rule/policy: a definition, not a modification
        var tables = new List<(string, string)>();
        tables.AddRange(Update().Matches(text).Select(m => ("UPDATE", m.Groups["name"].Value)));
        tables.AddRange(Delete().Matches(text).Select(m => ("DELETE", m.Groups["name"].Value)));
        if (Truncate().Match(text) is { Success: true } truncate)
            tables.AddRange(truncate.Groups["names"].Value.Split(',')
                .Select(n => ("TRUNCATE", n.Trim().Replace("only ", "").TrimEnd('*').Trim())));
        return tables;
    }

    public IEnumerable<LintFinding> Check(MigrationTrace trace)
    {
        // Before, not Traced: the append-only triggers may make the statement fail, and it is still a finding.
        foreach (var step in trace.Steps.Where(s => s.Before is not null))
            foreach (var table in step.ModifiedTables)
                if (table.Oid is { } oid && step.Before!.Relations.TryGetValue(oid, out var relation) && relation.AppendOnly)
                    yield return LintFinding.For(LintRules.AppendOnlyModified, trace.Migration.DisplayPath, step.Statement,
                        $"{table.Verb} of {relation.QualifiedName}, whose comment marks it append-only");
    }
}
