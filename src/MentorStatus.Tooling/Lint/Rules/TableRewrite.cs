using System.Text.RegularExpressions;
using MentorStatus.Database.Migrations;
using MentorStatus.Tooling.Rules;

namespace MentorStatus.Tooling.Lint;

public static partial class LintRules
{
    /// <summary>MS003 <c>table_rewrite</c> (error). Its page: docs/rules/MS003.md; its cases: tests/MentorStatus.Tests/Lint/Corpus/MS003/.</summary>
    public static readonly LintRule TableRewrite = new("MS003", RuleLevel.Error,
        "existing table rewritten",
        "A column type change, a volatile default (random(), gen_random_uuid(), clock_timestamp() …) or a stored generated column on a new column, " +
        "CLUSTER and VACUUM FULL rewrite every row of the table and rebuild its indexes under an ACCESS EXCLUSIVE lock: reads and writes stop until it is done. " +
        "(Found by the relfilenode of the table and of each index, so a change that keeps the files, like varchar(n) to text, is not one.)",
        "Add a new column (nullable or with a constant default), backfill it in batches, switch readers over, then drop the old one. " +
        "For a volatile default: add the column without default, `alter column … set default …`, backfill existing rows in batches.")
    {
        Name = "table_rewrite",
        Counterparts = "squawk: changing-column-type, adding-field-with-default, adding-serial-primary-key-field, prefer-repack; eugene: E5, E10, E11",
    };

    /// <summary>
    /// MS003 on the replay: a new relfilenode of an existing table, materialized view or index (the message names the cause and,
    /// for a materialized view or CLUSTER, the fix that fits), or a type change that keeps the table's file but re-checks the
    /// CHECK constraints on the column by reading every row. TRUNCATE gives a new file without a rewrite: MS025 judges it.
    /// </summary>
    internal sealed class TableRewriteCheck : LintCheck
    {
        public override IEnumerable<LintFinding> CheckStep(MigrationTrace trace, TraceStep step)
        {
            if (!step.Traced) yield break;
            var file = trace.Migration.DisplayPath;
            var before = step.Before!;
            var after = step.After!;
            if (step.Statement.Normalized.StartsWith("truncate", StringComparison.Ordinal)) yield break; // a new file node, but no rewrite (MS025 judges it)
            var rewritten = new HashSet<uint>();
            foreach (var relation in after.Relations.Values.Where(r => r.Kind is 'r' or 'p' or 'm' && trace.Existed(r.Oid)))
            {
                if (!before.Relations.TryGetValue(relation.Oid, out var old) || old.FileNode == relation.FileNode) continue;
                rewritten.Add(relation.Oid);
                var (message, fix) = Rewrite(step, before, after, relation);
                yield return LintFinding.For(TableRewrite, file, step.Statement, message, fix: fix);
            }
            // A type change that keeps the table's file still re-checks each CHECK on the column it re-adds: a full scan under ACCESS EXCLUSIVE.
            foreach (var group in after.Constraints.Values
                         .Where(c => c.Type == 'c' && c.Validated && trace.Existed(c.Table) && !rewritten.Contains(c.Table) && IsTable(after, c.Table)
                                     && !before.Constraints.ContainsKey(c.Oid) && Rebuilds.IsRebuiltByTypeChange(before, after, c))
                         .GroupBy(c => c.Table))
                yield return LintFinding.For(TableRewrite, file, step.Statement,
                    $"existing table {after.NameOf(group.Key)} is not rewritten, but every row is read to re-check {string.Join(", ", group.Select(c => c.Name).Order(StringComparer.Ordinal))} " +
                    $"under an ACCESS EXCLUSIVE lock: {Cause(before, after, group.Key)}, and the type change drops and re-adds the CHECK constraints that use the column");

            // An index ALTER TABLE rebuilt under a new file while the table kept its own (e.g. a type change of an indexed column).
            var oldIndexFiles = before.Relations.Values.Where(r => r.Kind is 'i' or 'I').Select(r => r.FileNode).ToHashSet();
            foreach (var index in after.Indexes.Values.Where(i => !before.Indexes.ContainsKey(i.Oid) && trace.Existed(i.Table)
                                                                  && !rewritten.Contains(i.Table) && Rebuilds.IsRebuild(before, after, i)))
                if (after.Relations.TryGetValue(index.Oid, out var relation) && !oldIndexFiles.Contains(relation.FileNode))
                    yield return LintFinding.For(TableRewrite, file, step.Statement,
                        $"index {index.Name} of existing table {after.NameOf(index.Table)} is rebuilt (new relfilenode) under an ACCESS EXCLUSIVE lock: {Cause(before, after, index.Table)}");
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

        public static bool IsTable(CatalogState state, uint relation) =>
            state.Relations.TryGetValue(relation, out var r) && r.Kind is 'r' or 'p';

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

    /// <summary>MS003 statically, for VACUUM FULL: it cannot run in a transaction, so the replay cannot trace it.</summary>
    internal sealed partial class VacuumFullCheck : LintCheck
    {
        public override IEnumerable<LintFinding> CheckStep(MigrationTrace trace, TraceStep step)
        {
            if (!NonTransactionalStatement.Matches(step.Statement) || !VacuumFull().IsMatch(step.Statement.Normalized)) yield break;
            yield return LintFinding.For(TableRewrite, trace.Migration.DisplayPath, step.Statement,
                "VACUUM FULL rewrites the table and all its indexes under an ACCESS EXCLUSIVE lock: reads and writes stop until it is done", NonTransactionalNotAloneCheck.StaticNote,
                fix: "Do not VACUUM FULL in a migration: plain VACUUM (no lock that blocks writes) reclaims space for reuse; to shrink the files online use pg_repack.");
        }

        [GeneratedRegex(@"^vacuum (\([^)]*\bfull\b[^)]*\)|full\b)")]
        private static partial Regex VacuumFull();
    }
}
