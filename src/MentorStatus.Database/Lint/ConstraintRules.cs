namespace MentorStatus.Database.Lint;

/// <summary>MS004: a CHECK or FOREIGN KEY that arrived already validated on a table that existed before.</summary>
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
                var kind = constraint.Type == 'c' ? "CHECK" : "FOREIGN KEY";
                yield return LintFinding.For(LintRules.ConstraintValidated, trace.Migration.DisplayPath, step.Statement,
                    $"{kind} {constraint.Name} added valid to existing table {step.After.NameOf(constraint.Table)}: every row is checked while writes wait ({constraint.Definition})");
            }
        }
    }
}
