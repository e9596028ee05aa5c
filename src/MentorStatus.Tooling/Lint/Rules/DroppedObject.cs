using MentorStatus.Tooling.Rules;

namespace MentorStatus.Tooling.Lint;

public static partial class LintRules
{
    /// <summary>MS007 <c>dropped_object</c> (error). Its page: docs/rules/MS007.md; its cases: tests/MentorStatus.Tests/Lint/Corpus/MS007/.</summary>
    public static readonly LintRule DroppedObject = new("MS007", RuleLevel.Error,
        "column or table dropped",
        "The application version still running during and after the deploy reads and writes it: its queries fail, and the data is gone for good.",
        "Stop using it in the application first and deploy that; drop it in a later migration, acknowledged with `-- lint: ignore MS007 because …`.")
    {
        Name = "dropped_object",
        Counterparts = "squawk: ban-drop-column, ban-drop-table, ban-drop-view",
    };

    /// <summary>MS007 on the replay: a table, view or column that existed before the migration is gone (its OID no longer in the catalog).</summary>
    internal sealed class DroppedObjectCheck : LintCheck
    {
        public override IEnumerable<LintFinding> CheckStep(MigrationTrace trace, TraceStep step)
        {
            if (!step.Traced) yield break;
            var file = trace.Migration.DisplayPath;
            var before = step.Before!;
            var after = step.After!;
            foreach (var old in trace.ExistingTablesAndViews(before))
                if (!after.Relations.ContainsKey(old.Oid))
                    yield return LintFinding.For(DroppedObject, file, step.Statement, $"existing {(old.Kind is 'v' or 'm' ? "view" : "table")} {old.QualifiedName} dropped");
            foreach (var old in trace.ExistingColumnsOfKeptTables(before, after))
                if (!after.Columns.ContainsKey((old.Table, old.Number)))
                    yield return LintFinding.For(DroppedObject, file, step.Statement, $"existing column {after.NameOf(old.Table)}.{old.Name} dropped");
        }
    }
}
