using MentorStatus.Tooling.Rules;

namespace MentorStatus.Tooling.Lint;

/// <summary>A group of related rules, checked over one replayed migration.</summary>
internal interface ILintRuleFamily
{
    IEnumerable<LintFinding> Check(MigrationTrace trace);
}

/// <summary>
/// MS001 index builds and drops without CONCURRENTLY, MS005 a lock that blocks writes (SHARE or stronger) on an existing
/// table without lock_timeout, MS006 statements after an ACCESS EXCLUSIVE lock. An index that ALTER TABLE recreates
/// under a new OID is a build only when its file is new (relfilenode): `varchar(n)` → `text` keeps the file and is none.
/// </summary>
internal sealed partial class LockRules : ILintRuleFamily
{
    /// <summary>
    /// Schemas of Supabase's services. Every project takes locks on their tables in its first migrations (profiles referencing
    /// auth.users, the new-user trigger on auth.users, storage policies on storage.objects), Supabase's own guides write them
    /// without lock_timeout, and the lint's replay only has stand-ins of them: MS005/MS006 leave them out, to keep those rules
    /// about the project's own tables.
    /// </summary>
    public static readonly string[] PlatformSchemas =
        ["auth", "storage", "realtime", "_realtime", "extensions", "cron", "net", "vault", "pgsodium", "supabase_functions", "graphql", "graphql_public"];

    /// <summary>Modes that conflict with ROW EXCLUSIVE, i.e. block INSERT, UPDATE and DELETE (ACCESS EXCLUSIVE blocks reads too).</summary>
    private static readonly string[] WriteBlocking = ["ShareLock", "ShareRowExclusiveLock", "ExclusiveLock", "AccessExclusiveLock"];

    public IEnumerable<LintFinding> Check(MigrationTrace trace)
    {
        var file = trace.Migration.DisplayPath;
        TraceStep? firstExclusive = null;
        foreach (var step in trace.Steps.Where(s => s.Traced))
        {
            var before = step.Before!;
            var after = step.After!;
            // Inside a transaction no index can be built concurrently: every new index file on an old table blocked writes.
            var oldFiles = before.Relations.Values.Where(r => r.Kind is 'i' or 'I').Select(r => r.FileNode).ToHashSet();
            foreach (var index in after.Indexes.Values.Where(i => !before.Indexes.ContainsKey(i.Oid) && trace.Existed(i.Table)))
            {
                if (after.Relations.TryGetValue(index.Oid, out var relation) && oldFiles.Contains(relation.FileNode)) continue; // kept its file
                if (IsRebuild(before, after, index)) continue; // ALTER TABLE rebuilt it: a rewrite, MS003 reports it
                var kind = index.Primary ? "primary key index" : index.Unique ? "unique index" : "index";
                yield return LintFinding.For(LintRules.IndexWithoutConcurrently, file, step.Statement,
                    $"{kind} {index.Name} on existing table {after.NameOf(index.Table)} is built without CONCURRENTLY; " +
                    $"held: {Describe(step.NewLocks.Where(l => l.Relation == index.Table), after)}");
            }
            if (step.Statement.Normalized.StartsWith("drop index ", StringComparison.Ordinal))
                foreach (var index in before.Indexes.Values.Where(i => trace.Existed(i.Table) && trace.Baseline.Indexes.ContainsKey(i.Oid)
                                                                       && !after.Indexes.ContainsKey(i.Oid) && after.Relations.ContainsKey(i.Table)))
                    yield return LintFinding.For(LintRules.IndexWithoutConcurrently, file, step.Statement,
                        $"index {index.Name} on existing table {after.NameOf(index.Table)} is dropped without CONCURRENTLY (ACCESS EXCLUSIVE on the table)");

            // REINDEX keeps the index's OID but writes a new file: a build like any other, under SHARE on the table.
            if (step.Statement.Normalized.StartsWith("reindex", StringComparison.Ordinal))
                foreach (var index in after.Indexes.Values.Where(i => trace.Baseline.Indexes.ContainsKey(i.Oid) && trace.Existed(i.Table)
                                                                      && before.Relations.TryGetValue(i.Oid, out var old) && after.Relations.TryGetValue(i.Oid, out var now)
                                                                      && old.FileNode != now.FileNode))
                    yield return LintFinding.For(LintRules.IndexWithoutConcurrently, file, step.Statement,
                        $"index {index.Name} on existing table {after.NameOf(index.Table)} is rebuilt by REINDEX without CONCURRENTLY: SHARE on the table " +
                        "(every write waits) and ACCESS EXCLUSIVE on the index (every query that would use it waits) for the whole build",
                        fix: "`reindex index concurrently …` (or `reindex table concurrently …`) in a migration file of its own: it cannot run in a transaction.");

            var blocking = step.NewLocks.Where(l => WriteBlocking.Contains(l.Mode) && IsTableLike(before, l.Relation)).ToList();
            var exclusive = blocking.Where(l => l.IsAccessExclusive).ToList();
            // Nothing writes a materialized view but REFRESH: a lock on it below ACCESS EXCLUSIVE (a concurrent refresh) holds up no one.
            var felt = blocking.Where(l => l.IsAccessExclusive || before.Relations[l.Relation].Kind != 'm').ToList();
            var explicitLock = step.Statement.Normalized.StartsWith("lock ", StringComparison.Ordinal);
            if (step.LockTimeout is "0" or null && (felt.Count > 0 || explicitLock))
            {
                var what = felt.Count > 0
                    ? string.Join(", ", felt.GroupBy(l => l.Relation).Select(g => $"{string.Join(" + ", g.Select(l => Mode(l.Mode)))} on {before.NameOf(g.Key)}"))
                    : "an explicit LOCK TABLE";
                // ACCESS EXCLUSIVE queues every query, reads included: an outage. The weaker modes queue writers only (reads go on).
                var readersWait = exclusive.Count > 0 || felt.Count == 0;
                yield return LintFinding.For(LintRules.AccessExclusiveWithoutTimeout, file, step.Statement,
                    $"{what} taken with lock_timeout = 0 (wait forever): " + (readersWait
                        ? "while it waits behind any query on the table, every later query on it, reads included, queues behind it"
                        : "it blocks writers, not readers: while it waits behind a transaction that writes the table, and until the migration commits, " +
                          "every INSERT, UPDATE and DELETE on it waits (reads go on)"))
                    with { LevelOverride = readersWait ? null : RuleLevel.Warning };
            }
            if (exclusive.Count == 0) continue;
            firstExclusive ??= step;
        }

        if (firstExclusive is not null)
        {
            var later = trace.Steps.SkipWhile(s => s != firstExclusive).Skip(1).Where(s => s.StaticOnlyReason is null && MayTakeLong(trace, s)).ToList();
            if (later.Count > 0)
                yield return LintFinding.For(LintRules.StatementsAfterAccessExclusive, file, firstExclusive.Statement,
                    $"ACCESS EXCLUSIVE lock on {string.Join(", ", firstExclusive.NewLocks.Where(l => l.IsAccessExclusive && IsTableLike(firstExclusive.Before!, l.Relation)).Select(l => firstExclusive.Before!.NameOf(l.Relation)).Distinct())} " +
                    $"is held while {later.Count} more statement(s) run (lines {later[0].Statement.Line}–{later[^1].Statement.Line})");
        }
    }

    /// <summary>
    /// A statement whose run time grows with the data (MS006 counts only these: a CREATE POLICY or GRANT after the lock costs
    /// microseconds): it reads or writes rows, builds an index on an existing table, rewrites a relation or validates a constraint.
    /// </summary>
    private static bool MayTakeLong(MigrationTrace trace, TraceStep step)
    {
        if (step.ModifiedTables.Count > 0 || DataStatement().IsMatch(step.Statement.Normalized)) return true;
        if (!step.Traced) return false;
        var before = step.Before!;
        var after = step.After!;
        return after.Indexes.Values.Any(i => !before.Indexes.ContainsKey(i.Oid) && trace.Existed(i.Table))
            || after.Relations.Values.Any(r => trace.Existed(r.Oid) && before.Relations.TryGetValue(r.Oid, out var old) && old.FileNode != r.FileNode)
            || after.Constraints.Values.Any(c => c.Validated && trace.Existed(c.Table)
                                                 && (!before.Constraints.TryGetValue(c.Oid, out var old) || !old.Validated));
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^(insert|update|delete|merge|copy|refresh|cluster|reindex|analyze|with)\b")]
    private static partial System.Text.RegularExpressions.Regex DataStatement();

    /// <summary>A new index that replaces one of the same name on the same table that the statement removed (ALTER COLUMN TYPE).</summary>
    public static bool IsRebuild(CatalogState before, CatalogState after, IndexInfo index) =>
        before.Indexes.Values.Any(old => old.Table == index.Table && old.Name == index.Name && !after.Indexes.ContainsKey(old.Oid));

    /// <summary>A table-like relation of the project (not of the platform's schemas).</summary>
    private static bool IsTableLike(CatalogState state, uint relation) =>
        state.Relations.TryGetValue(relation, out var r) && r.Kind is 'r' or 'p' or 'm' or 'v' or 'f' && !PlatformSchemas.Contains(r.Schema);

    private static string Describe(IEnumerable<HeldLock> locks, CatalogState state)
    {
        var list = locks.Select(l => $"{Mode(l.Mode)} on {state.NameOf(l.Relation)}").ToList();
        return list.Count == 0 ? "a lock that blocks writes" : string.Join(", ", list);
    }

    /// <summary>AccessExclusiveLock → ACCESS EXCLUSIVE, as the documentation names lock modes.</summary>
    public static string Mode(string mode) =>
        System.Text.RegularExpressions.Regex.Replace(mode.Replace("Lock", ""), "(?<=[a-z])(?=[A-Z])", " ").ToUpperInvariant();
}
