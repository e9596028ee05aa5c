namespace MentorStatus.Database.Lint;

/// <summary>A group of related rules, checked over one replayed migration.</summary>
internal interface ILintRuleFamily
{
    IEnumerable<LintFinding> Check(MigrationTrace trace);
}

/// <summary>MS001 blocking index builds, MS005 ACCESS EXCLUSIVE without lock_timeout, MS006 statements after one.</summary>
internal sealed class LockRules : ILintRuleFamily
{
    public IEnumerable<LintFinding> Check(MigrationTrace trace)
    {
        var file = trace.Migration.DisplayPath;
        TraceStep? firstExclusive = null;
        foreach (var step in trace.Steps.Where(s => s.Traced))
        {
            // Inside a transaction no index can be built concurrently: every new index on an old table blocked writes.
            foreach (var index in step.After!.Indexes.Values.Where(i => !step.Before!.Indexes.ContainsKey(i.Oid) && trace.Existed(i.Table)))
            {
                var kind = index.Primary ? "primary key index" : index.Unique ? "unique index" : "index";
                yield return LintFinding.For(LintRules.IndexWithoutConcurrently, file, step.Statement,
                    $"{kind} {index.Name} on existing table {step.After.NameOf(index.Table)} is built without CONCURRENTLY; " +
                    $"held: {Describe(step.NewLocks.Where(l => l.Relation == index.Table), step.After)}");
            }

            var exclusive = step.NewLocks.Where(l => l.IsAccessExclusive && IsTableLike(step.Before!, l.Relation)).ToList();
            if (exclusive.Count == 0) continue;
            firstExclusive ??= step;
            if (step.LockTimeout is "0" or null)
                yield return LintFinding.For(LintRules.AccessExclusiveWithoutTimeout, file, step.Statement,
                    $"ACCESS EXCLUSIVE lock on {string.Join(", ", exclusive.Select(l => step.Before!.NameOf(l.Relation)).Distinct())} " +
                    "taken with lock_timeout = 0 (wait forever)");
        }

        if (firstExclusive is not null)
        {
            var later = trace.Steps.SkipWhile(s => s != firstExclusive).Skip(1).Where(s => s.StaticOnlyReason is null).ToList();
            if (later.Count > 0)
                yield return LintFinding.For(LintRules.StatementsAfterAccessExclusive, file, firstExclusive.Statement,
                    $"ACCESS EXCLUSIVE lock on {string.Join(", ", firstExclusive.NewLocks.Where(l => l.IsAccessExclusive && IsTableLike(firstExclusive.Before!, l.Relation)).Select(l => firstExclusive.Before!.NameOf(l.Relation)).Distinct())} " +
                    $"is held while {later.Count} more statement(s) run (lines {later[0].Statement.Line}–{later[^1].Statement.Line})");
        }
    }

    private static bool IsTableLike(CatalogState state, uint relation) =>
        state.Relations.TryGetValue(relation, out var r) && r.Kind is 'r' or 'p' or 'm' or 'v' or 'f';

    private static string Describe(IEnumerable<HeldLock> locks, CatalogState state)
    {
        var list = locks.Select(l => $"{Mode(l.Mode)} on {state.NameOf(l.Relation)}").ToList();
        return list.Count == 0 ? "a lock that blocks writes" : string.Join(", ", list);
    }

    /// <summary>AccessExclusiveLock → ACCESS EXCLUSIVE, as the documentation names lock modes.</summary>
    public static string Mode(string mode) =>
        System.Text.RegularExpressions.Regex.Replace(mode.Replace("Lock", ""), "(?<=[a-z])(?=[A-Z])", " ").ToUpperInvariant();
}
