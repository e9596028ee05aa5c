namespace MentorStatus.Tooling.Lint;

/// <summary>
/// MS004: a CHECK or FOREIGN KEY that arrived already validated on a table that existed before. Not one that ALTER COLUMN TYPE
/// dropped and re-added under a new OID: the type change re-checks it with the rewrite (or a scan) MS003 reports, and NOT VALID is no fix for that.
/// </summary>
internal sealed class ConstraintRules : ILintRuleFamily
{
    public IEnumerable<LintFinding> Check(MigrationTrace trace)
    {
        foreach (var step in trace.Steps.Where(s => s.Traced))
        {
            foreach (var constraint in step.After!.Constraints.Values)
            {
                if (constraint.Type is not ('c' or 'f') || !constraint.Validated || !trace.Existed(constraint.Table)) continue;
                if (step.Before!.Constraints.ContainsKey(constraint.Oid)) continue; // VALIDATE CONSTRAINT of a NOT VALID one is the fix
                if (IsRebuiltByTypeChange(step.Before, step.After, constraint)) continue;
                var kind = constraint.Type == 'c' ? "CHECK" : "FOREIGN KEY";
                yield return LintFinding.For(LintRules.ConstraintValidated, trace.Migration.DisplayPath, step.Statement,
                    $"{kind} {constraint.Name} added valid to existing table {step.After.NameOf(constraint.Table)}: every row is checked while writes wait ({constraint.Definition})");
            }
        }
    }

    /// <summary>A constraint that replaces one of the same name on the same table that the statement removed, while a column changed type.</summary>
    public static bool IsRebuiltByTypeChange(CatalogState before, CatalogState after, ConstraintInfo constraint) =>
        before.Constraints.Values.Any(old => old.Table == constraint.Table && old.Name == constraint.Name && !after.Constraints.ContainsKey(old.Oid))
        && after.Columns.Values.Any(c => before.Columns.TryGetValue((c.Table, c.Number), out var old) && old.Type != c.Type);
}
