using MentorStatus.Tooling.Rules;

namespace MentorStatus.Tooling.Lint;

public static partial class LintRules
{
    /// <summary>MS004 <c>constraint_validated</c> (error). Its page: docs/rules/MS004.md; its cases: tests/MentorStatus.Tests/Lint/Corpus/MS004/.</summary>
    public static readonly LintRule ConstraintValidated = new("MS004", RuleLevel.Error,
        "CHECK or FOREIGN KEY added VALID on an existing table",
        "Adding a valid CHECK or foreign key scans the whole table while holding a lock that blocks writes (a foreign key also locks the referenced table).",
        "Add it `not valid` (instant; enforced for new rows), then `alter table … validate constraint …` in a later transaction: validation takes only a SHARE UPDATE EXCLUSIVE lock.")
    {
        Name = "constraint_validated",
        Counterparts = "squawk: constraint-missing-not-valid, adding-foreign-key-constraint; eugene: E1",
    };

    /// <summary>
    /// MS004 on the replay: a CHECK or FOREIGN KEY that arrived already validated on a table that existed before. Not one that
    /// ALTER COLUMN TYPE dropped and re-added under a new OID: the type change re-checks it with the rewrite (or a scan) MS003
    /// reports, and NOT VALID is no fix for that.
    /// </summary>
    internal sealed class ConstraintValidatedCheck : LintCheck
    {
        public override IEnumerable<LintFinding> CheckStep(MigrationTrace trace, TraceStep step)
        {
            if (!step.Traced) yield break;
            foreach (var constraint in step.After!.Constraints.Values)
            {
                if (constraint.Type is not ('c' or 'f') || !constraint.Validated || !trace.Existed(constraint.Table)) continue;
                if (step.Before!.Constraints.ContainsKey(constraint.Oid)) continue; // VALIDATE CONSTRAINT of a NOT VALID one is the fix
                if (Rebuilds.IsRebuiltByTypeChange(step.Before, step.After, constraint)) continue;
                var kind = constraint.Type == 'c' ? "CHECK" : "FOREIGN KEY";
                yield return LintFinding.For(ConstraintValidated, trace.Migration.DisplayPath, step.Statement,
                    $"{kind} {constraint.Name} added valid to existing table {step.After.NameOf(constraint.Table)}: every row is checked while writes wait ({constraint.Definition})");
            }
        }
    }
}
