namespace MentorStatus.Tooling.Lint;

/// <summary>MS007 dropped and MS008 renamed tables and columns, told by the catalog (same OID, other name, or gone).</summary>
internal sealed class DestructiveRules : ILintRuleFamily
{
    public IEnumerable<LintFinding> Check(MigrationTrace trace)
    {
        var file = trace.Migration.DisplayPath;
        foreach (var step in trace.Steps.Where(s => s.Traced))
        {
            var before = step.Before!;
            var after = step.After!;
            foreach (var old in before.Relations.Values.Where(r => r.Kind is 'r' or 'p' or 'v' or 'm' or 'f' && trace.Existed(r.Oid)))
            {
                var what = old.Kind is 'v' or 'm' ? "view" : "table";
                if (!after.Relations.TryGetValue(old.Oid, out var now))
                    yield return LintFinding.For(LintRules.DroppedObject, file, step.Statement, $"existing {what} {old.QualifiedName} dropped");
                else if (now.QualifiedName != old.QualifiedName)
                    yield return LintFinding.For(LintRules.RenamedObject, file, step.Statement, $"existing {what} {old.QualifiedName} renamed to {now.QualifiedName}");
            }
            foreach (var old in before.Columns.Values.Where(c => trace.Existed(c.Table) && trace.Baseline.Columns.ContainsKey((c.Table, c.Number))))
            {
                if (!after.Relations.ContainsKey(old.Table)) continue; // the table went: reported above
                var table = after.NameOf(old.Table);
                if (!after.Columns.TryGetValue((old.Table, old.Number), out var now))
                    yield return LintFinding.For(LintRules.DroppedObject, file, step.Statement, $"existing column {table}.{old.Name} dropped");
                else if (now.Name != old.Name)
                    yield return LintFinding.For(LintRules.RenamedObject, file, step.Statement, $"existing column {table}.{old.Name} renamed to {now.Name}");
            }
        }
    }
}
