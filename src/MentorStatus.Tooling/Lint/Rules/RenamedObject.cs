using MentorStatus.Tooling.Rules;

namespace MentorStatus.Tooling.Lint;

public static partial class LintRules
{
    /// <summary>MS008 <c>renamed_object</c> (error). Its page: docs/rules/MS008.md; its cases: tests/MentorStatus.Tests/Lint/Corpus/MS008/.</summary>
    public static readonly LintRule RenamedObject = new("MS008", RuleLevel.Error,
        "column or table renamed",
        "Every query and PostgREST client that uses the old name fails from the moment the migration commits.",
        "Add the new column (or a view with the new name), write both, move readers, then drop the old one in a later migration.")
    {
        Name = "renamed_object",
        Counterparts = "squawk: renaming-column, renaming-table (part of renaming-object)",
    };

    /// <summary>MS008 on the replay: a table, view or column that existed before the migration keeps its OID under another name.</summary>
    internal sealed class RenamedObjectCheck : LintCheck
    {
        public override IEnumerable<LintFinding> CheckStep(MigrationTrace trace, TraceStep step)
        {
            if (!step.Traced) yield break;
            var file = trace.Migration.DisplayPath;
            var before = step.Before!;
            var after = step.After!;
            foreach (var old in trace.ExistingTablesAndViews(before))
                if (after.Relations.TryGetValue(old.Oid, out var now) && now.QualifiedName != old.QualifiedName)
                    yield return LintFinding.For(RenamedObject, file, step.Statement,
                        $"existing {(old.Kind is 'v' or 'm' ? "view" : "table")} {old.QualifiedName} renamed to {now.QualifiedName}");
            foreach (var old in trace.ExistingColumnsOfKeptTables(before, after))
                if (after.Columns.TryGetValue((old.Table, old.Number), out var now) && now.Name != old.Name)
                    yield return LintFinding.For(RenamedObject, file, step.Statement, $"existing column {after.NameOf(old.Table)}.{old.Name} renamed to {now.Name}");
        }
    }
}
