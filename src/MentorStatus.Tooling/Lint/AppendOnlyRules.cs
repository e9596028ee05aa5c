namespace MentorStatus.Tooling.Lint;

/// <summary>
/// MS014: UPDATE, DELETE or TRUNCATE against a table whose comment says it is append-only (the marker the
/// history migration uses: "Append-only audit trail …"; matched as `append-only` or `append only`, any case).
/// The targets are read from the statement text (<see cref="DataStatements"/>), resolved in the replay session (search_path, tables created
/// earlier in the file), and checked against the catalog: an empty throwaway table counts no modified rows.
/// </summary>
internal sealed class AppendOnlyRules : ILintRuleFamily
{
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
