using System.Text.RegularExpressions;
using MentorStatus.Tooling.Rules;

namespace MentorStatus.Tooling.Lint;

public static partial class LintRules
{
    /// <summary>MS002 <c>not_null_on_existing_table</c> (error). Its page: docs/rules/MS002.md; its cases: tests/MentorStatus.Tests/Lint/Corpus/MS002/.</summary>
    public static readonly LintRule NotNullOnExistingTable = new("MS002", RuleLevel.Error,
        "NOT NULL column without default, or SET NOT NULL, on an existing table",
        "A new NOT NULL column without a default fails on a table with rows and breaks every insert that does not name it; " +
        "SET NOT NULL scans the whole table under an ACCESS EXCLUSIVE lock.",
        "Add the column nullable (or with a constant default) and backfill. To forbid NULLs: `add constraint … check (col is not null) not valid`, " +
        "`validate constraint …` in a later statement, then SET NOT NULL (PostgreSQL 12+ uses the validated check and skips the scan).")
    {
        Name = "not_null_on_existing_table",
        Counterparts = "squawk: adding-required-field, adding-not-nullable-field; eugene: E2",
    };

    /// <summary>
    /// MS002 on the replay: a column of an existing table that arrives NOT NULL without a default, or becomes NOT NULL without a
    /// validated <c>check (col is not null)</c> for PostgreSQL to rely on.
    /// </summary>
    internal sealed class NotNullOnExistingTableCheck : LintCheck
    {
        public override IEnumerable<LintFinding> CheckStep(MigrationTrace trace, TraceStep step)
        {
            if (!step.Traced) yield break;
            var before = step.Before!;
            var after = step.After!;
            foreach (var column in after.Columns.Values.Where(c => trace.Existed(c.Table) && TableRewriteCheck.IsTable(after, c.Table)))
            {
                var table = after.NameOf(column.Table);
                if (!before.Columns.TryGetValue((column.Table, column.Number), out var old))
                {
                    if (column.NotNull && !column.HasDefault)
                        yield return LintFinding.For(NotNullOnExistingTable, trace.Migration.DisplayPath, step.Statement,
                            $"column {column.Name} added NOT NULL without a default to existing table {table}");
                }
                else if (column.NotNull && !old.NotNull && !HasValidatedNotNullCheck(before, column))
                {
                    yield return LintFinding.For(NotNullOnExistingTable, trace.Migration.DisplayPath, step.Statement,
                        $"SET NOT NULL on {table}.{column.Name} scans the whole table under an ACCESS EXCLUSIVE lock (no validated `check ({column.Name} is not null)` to rely on)");
                }
            }
        }

        /// <summary>PostgreSQL 12+ skips the SET NOT NULL scan when a validated CHECK (col IS NOT NULL) proves it.</summary>
        private static bool HasValidatedNotNullCheck(CatalogState state, ColumnInfo column) =>
            state.Constraints.Values.Any(c => c.Table == column.Table && c.Type == 'c' && c.Validated &&
                Regex.IsMatch(c.Definition, $@"^CHECK \(+""?{Regex.Escape(column.Name)}""? IS NOT NULL\)+$"));
    }
}
