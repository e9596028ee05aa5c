using MentorStatus.Tooling.Rules;

namespace MentorStatus.Tooling.Lint;

public static partial class LintRules
{
    /// <summary>MS025 <c>destructive_data_statement</c> (error). Its page: docs/rules/MS025.md; its cases: tests/MentorStatus.Tests/Lint/Corpus/MS025/.</summary>
    public static readonly LintRule DestructiveDataStatement = new("MS025", RuleLevel.Error,
        "TRUNCATE, or DELETE/UPDATE of every row, on a table that holds rows",
        "In production the table has rows: TRUNCATE erases them; with CASCADE it also empties every referencing table, DELETE without WHERE erases them " +
        "row by row, and a whole-table UPDATE or backfill rewrites every row in the migration's one transaction, holding each row lock until it commits.",
        "Backfill in batches from a job or script outside the migration (e.g. `update … where id in (select id … limit 10000)` repeated), " +
        "and delete or truncate data in a reviewed, acknowledged migration of its own.")
    {
        Name = "destructive_data_statement",
        Counterparts = "squawk: ban-truncate-cascade",
    };

    /// <summary>
    /// MS025: data statements that change or erase every row of a table that existed before the migration (so may hold rows in
    /// production): TRUNCATE, DELETE or UPDATE without WHERE, a whole-table backfill (`where col is null` on the column it sets)
    /// in the migration's one transaction; and TRUNCATE … CASCADE anywhere, which empties every table that references the named
    /// one. The targets come from <see cref="DataStatements"/>.
    /// </summary>
    internal sealed class DestructiveDataStatementCheck : LintCheck
    {
        public override IEnumerable<LintFinding> CheckStep(MigrationTrace trace, TraceStep step)
        {
            if (step.Before is null) yield break;
            foreach (var table in step.ModifiedTables)
            {
                var existing = table.Oid is { } oid && trace.Existed(oid) && step.Before.Relations.ContainsKey(oid);
                var name = table.Oid is { } o ? step.Before.NameOf(o) : table.Name;
                if (table.Cascade)
                    yield return LintFinding.For(DestructiveDataStatement, trace.Migration.DisplayPath, step.Statement,
                        $"CASCADE on this TRUNCATE of {name} also empties every table that references it, whatever they hold",
                        fix: "Name every table to empty explicitly (without CASCADE), after checking that each may lose its rows.");
                else if (existing && table.EveryRow)
                    yield return LintFinding.For(DestructiveDataStatement, trace.Migration.DisplayPath, step.Statement,
                        table.Verb switch
                        {
                            "TRUNCATE" => $"TRUNCATE of existing table {name} erases every row it holds in production (under an ACCESS EXCLUSIVE lock)",
                            "DELETE" => $"DELETE without WHERE of existing table {name} erases every row, in the migration's one transaction",
                            _ => $"UPDATE of every row of existing table {name} (no WHERE, or a whole-table backfill) in the migration's one transaction: " +
                                 "each row is rewritten and stays locked until the migration commits",
                        });
            }
        }
    }
}
