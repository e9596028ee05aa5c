using System.Text.RegularExpressions;

namespace MentorStatus.Tooling.Lint;

/// <summary>MS002 NOT NULL on an existing table, MS003 table rewrites (relfilenode changed).</summary>
internal sealed class ColumnRules : ILintRuleFamily
{
    public IEnumerable<LintFinding> Check(MigrationTrace trace)
    {
        var file = trace.Migration.DisplayPath;
        foreach (var step in trace.Steps.Where(s => s.Traced))
        {
            var before = step.Before!;
            var after = step.After!;
            foreach (var column in after.Columns.Values.Where(c => trace.Existed(c.Table) && IsTable(after, c.Table)))
            {
                var table = after.NameOf(column.Table);
                if (!before.Columns.TryGetValue((column.Table, column.Number), out var old))
                {
                    if (column.NotNull && !column.HasDefault)
                        yield return LintFinding.For(LintRules.NotNullOnExistingTable, file, step.Statement,
                            $"column {column.Name} added NOT NULL without a default to existing table {table}");
                }
                else if (column.NotNull && !old.NotNull && !HasValidatedNotNullCheck(before, column))
                {
                    yield return LintFinding.For(LintRules.NotNullOnExistingTable, file, step.Statement,
                        $"SET NOT NULL on {table}.{column.Name} scans the whole table under an ACCESS EXCLUSIVE lock (no validated `check ({column.Name} is not null)` to rely on)");
                }
            }

            if (step.Statement.Normalized.StartsWith("truncate", StringComparison.Ordinal)) continue; // a new file node, but no rewrite (MS025 judges it)
            var rewritten = new HashSet<uint>();
            foreach (var relation in after.Relations.Values.Where(r => r.Kind is 'r' or 'p' or 'm' && trace.Existed(r.Oid)))
            {
                if (!before.Relations.TryGetValue(relation.Oid, out var old) || old.FileNode == relation.FileNode) continue;
                rewritten.Add(relation.Oid);
                var (message, fix) = Rewrite(step, before, after, relation);
                yield return LintFinding.For(LintRules.TableRewrite, file, step.Statement, message, fix: fix);
            }
            // A type change that keeps the table's file still re-checks each CHECK on the column it re-adds: a full scan under ACCESS EXCLUSIVE.
            foreach (var group in after.Constraints.Values
                         .Where(c => c.Type == 'c' && c.Validated && trace.Existed(c.Table) && !rewritten.Contains(c.Table) && IsTable(after, c.Table)
                                     && !before.Constraints.ContainsKey(c.Oid) && ConstraintRules.IsRebuiltByTypeChange(before, after, c))
                         .GroupBy(c => c.Table))
                yield return LintFinding.For(LintRules.TableRewrite, file, step.Statement,
                    $"existing table {after.NameOf(group.Key)} is not rewritten, but every row is read to re-check {string.Join(", ", group.Select(c => c.Name).Order(StringComparer.Ordinal))} " +
                    $"under an ACCESS EXCLUSIVE lock: {Cause(before, after, group.Key)}, and the type change drops and re-adds the CHECK constraints that use the column");

            // An index ALTER TABLE rebuilt under a new file while the table kept its own (e.g. a type change of an indexed column).
            var oldIndexFiles = before.Relations.Values.Where(r => r.Kind is 'i' or 'I').Select(r => r.FileNode).ToHashSet();
            foreach (var index in after.Indexes.Values.Where(i => !before.Indexes.ContainsKey(i.Oid) && trace.Existed(i.Table)
                                                                  && !rewritten.Contains(i.Table) && LockRules.IsRebuild(before, after, i)))
                if (after.Relations.TryGetValue(index.Oid, out var relation) && !oldIndexFiles.Contains(relation.FileNode))
                    yield return LintFinding.For(LintRules.TableRewrite, file, step.Statement,
                        $"index {index.Name} of existing table {after.NameOf(index.Table)} is rebuilt (new relfilenode) under an ACCESS EXCLUSIVE lock: {Cause(before, after, index.Table)}");
        }
    }

    /// <summary>What was rewritten and by what, named for the kind of object and statement, with the fix that fits it.</summary>
    private static (string Message, string? Fix) Rewrite(TraceStep step, CatalogState before, CatalogState after, RelationInfo relation)
    {
        var sql = step.Statement.Normalized;
        if (relation.Kind == 'm')
            return ($"materialized view {relation.QualifiedName} is rewritten (new relfilenode) by REFRESH MATERIALIZED VIEW under an ACCESS EXCLUSIVE lock: " +
                    "every reader of it waits until the query has run again",
                "`refresh materialized view concurrently …` (needs a unique index on the materialized view; readers are not blocked), from a job rather than a migration.");
        if (sql.StartsWith("cluster", StringComparison.Ordinal))
            return ($"CLUSTER rewrites existing table {relation.QualifiedName} and all its indexes (new relfilenode) under an ACCESS EXCLUSIVE lock",
                "Do not CLUSTER in a migration: use pg_repack (online), or run it in a maintenance window outside the migrations.");
        return ($"existing table {relation.QualifiedName} is rewritten (new relfilenode): {Cause(before, after, relation.Oid)}", null);
    }

    private static bool IsTable(CatalogState state, uint relation) =>
        state.Relations.TryGetValue(relation, out var r) && r.Kind is 'r' or 'p';

    /// <summary>PostgreSQL 12+ skips the SET NOT NULL scan when a validated CHECK (col IS NOT NULL) proves it.</summary>
    private static bool HasValidatedNotNullCheck(CatalogState state, ColumnInfo column) =>
        state.Constraints.Values.Any(c => c.Table == column.Table && c.Type == 'c' && c.Validated &&
            Regex.IsMatch(c.Definition, $@"^CHECK \(+""?{Regex.Escape(column.Name)}""? IS NOT NULL\)+$"));

    private static string Cause(CatalogState before, CatalogState after, uint table)
    {
        var causes = new List<string>();
        foreach (var column in after.Columns.Values.Where(c => c.Table == table))
        {
            if (!before.Columns.TryGetValue((table, column.Number), out var old))
            {
                if (column.Generated == "s") causes.Add($"new stored generated column {column.Name} is computed and written for every row");
                else if (column.HasDefault) causes.Add($"new column {column.Name} has a volatile default, evaluated for every row");
            }
            else if (old.Type != column.Type)
            {
                causes.Add($"column {column.Name} changed type from {old.Type} to {column.Type}");
            }
        }
        return causes.Count > 0 ? string.Join("; ", causes) : "the statement rewrote every row";
    }
}
