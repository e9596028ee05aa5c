using MentorStatus.Tooling.Rules;

namespace MentorStatus.Tooling.Lint;

public static partial class LintRules
{
    /// <summary>MS005 <c>access_exclusive_without_timeout</c> (error or warning). Its page: docs/rules/MS005.md; its cases: tests/MentorStatus.Tests/Lint/Corpus/MS005/.</summary>
    public static readonly LintRule AccessExclusiveWithoutTimeout = new("MS005", RuleLevel.Error,
        "lock that blocks writes (SHARE or stronger) taken on an existing table without lock_timeout",
        "While the statement waits for its lock (SHARE for CREATE INDEX, SHARE ROW EXCLUSIVE for a foreign key or trigger, EXCLUSIVE, " +
        "ACCESS EXCLUSIVE for most ALTER TABLE, DROP INDEX, LOCK TABLE) behind any long query, every other writer on the table " +
        "(every reader too, for ACCESS EXCLUSIVE) queues behind it: a short migration becomes an outage. An error for ACCESS EXCLUSIVE; a warning for " +
        "SHARE, SHARE ROW EXCLUSIVE and EXCLUSIVE, which let reads go on; nothing for a lock below ACCESS EXCLUSIVE on a materialized view, which only REFRESH writes.",
        "Start the file with `set lock_timeout = '5s';` (it is reset after the file), and retry the migration when it times out. " +
        "A project that deploys with `db up` (which sets a session lock_timeout) says so in supabase/lint.toml: `[lint] deploy = \"db up\"`; " +
        "without it the lint assumes `supabase db push`, which sets none.")
    {
        Name = "access_exclusive_without_timeout",
        Counterparts = "squawk: require-lock-timeout, require-timeout-settings; eugene: E9",
        LevelNote = "warning when the lock blocks only writers (SHARE, SHARE ROW EXCLUSIVE, EXCLUSIVE): reads go on",
    };

    /// <summary>
    /// MS005 on the replay: a lock that blocks writes (SHARE or stronger) on an existing table of the project, or an explicit LOCK
    /// TABLE, taken while lock_timeout is 0. ACCESS EXCLUSIVE (reads wait too) is an error, the weaker modes a warning; a lock
    /// below ACCESS EXCLUSIVE on a materialized view (a concurrent refresh) holds up no one and is none.
    /// </summary>
    internal sealed class AccessExclusiveWithoutTimeoutCheck : LintCheck
    {
        public override IEnumerable<LintFinding> CheckStep(MigrationTrace trace, TraceStep step)
        {
            if (!step.Traced) yield break;
            var before = step.Before!;
            var blocking = LockEvidence.WriteBlocking(step);
            var exclusive = blocking.Where(l => l.IsAccessExclusive).ToList();
            // Nothing writes a materialized view but REFRESH: a lock on it below ACCESS EXCLUSIVE (a concurrent refresh) holds up no one.
            var felt = blocking.Where(l => l.IsAccessExclusive || before.Relations[l.Relation].Kind != 'm').ToList();
            var explicitLock = step.Statement.Normalized.StartsWith("lock ", StringComparison.Ordinal);
            if (step.LockTimeout is "0" or null && (felt.Count > 0 || explicitLock))
            {
                var what = felt.Count > 0
                    ? string.Join(", ", felt.GroupBy(l => l.Relation).Select(g => $"{string.Join(" + ", g.Select(l => LockEvidence.Mode(l.Mode)))} on {before.NameOf(g.Key)}"))
                    : "an explicit LOCK TABLE";
                // ACCESS EXCLUSIVE queues every query, reads included: an outage. The weaker modes queue writers only (reads go on).
                var readersWait = exclusive.Count > 0 || felt.Count == 0;
                yield return LintFinding.For(AccessExclusiveWithoutTimeout, trace.Migration.DisplayPath, step.Statement,
                    $"{what} taken with lock_timeout = 0 (wait forever): " + (readersWait
                        ? "while it waits behind any query on the table, every later query on it, reads included, queues behind it"
                        : "it blocks writers, not readers: while it waits behind a transaction that writes the table, and until the migration commits, " +
                          "every INSERT, UPDATE and DELETE on it waits (reads go on)"))
                    with { LevelOverride = readersWait ? null : RuleLevel.Warning };
            }
        }
    }
}
