using MentorStatus.Tooling.Rules;

namespace MentorStatus.Tooling.Lint;

public static partial class LintRules
{
    /// <summary>MS014 <c>append_only_modified</c> (error). Its page: docs/rules/MS014.md; its cases: tests/MentorStatus.Tests/Lint/Corpus/MS014/.</summary>
    public static readonly LintRule AppendOnlyModified = new("MS014", RuleLevel.Error,
        "UPDATE, DELETE or TRUNCATE of an append-only table",
        "The table is an audit trail (its comment says append-only): rewriting or erasing rows destroys the record it exists to keep, and its triggers refuse it on a database with data.",
        "Append correcting rows instead. If history truly must change (a legal erasure), do it in a migration reviewed for that purpose and acknowledge it.")
    {
        Name = "append_only_modified",
    };

    /// <summary>
    /// MS014: UPDATE, DELETE or TRUNCATE against a table whose comment says it is append-only (the marker the history migration
    /// uses: "Append-only audit trail …"; matched as `append-only` or `append only`, any case). The targets are read from the
    /// statement text (<see cref="DataStatements"/>), resolved in the replay session (search_path, tables created earlier in the
    /// file), and checked against the catalog: an empty throwaway table counts no modified rows.
    /// </summary>
    internal sealed class AppendOnlyModifiedCheck : LintCheck
    {
        public override IEnumerable<LintFinding> CheckStep(MigrationTrace trace, TraceStep step)
        {
            // Before, not Traced: the append-only triggers may make the statement fail, and it is still a finding.
            if (step.Before is null) yield break;
            foreach (var table in step.ModifiedTables)
                if (table.Oid is { } oid && step.Before.Relations.TryGetValue(oid, out var relation) && relation.AppendOnly)
                    yield return LintFinding.For(AppendOnlyModified, trace.Migration.DisplayPath, step.Statement,
                        $"{table.Verb} of {relation.QualifiedName}, whose comment marks it append-only");
        }
    }
}
