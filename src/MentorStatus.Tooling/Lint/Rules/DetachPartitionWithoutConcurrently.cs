using System.Text.RegularExpressions;
using MentorStatus.Tooling.Rules;

namespace MentorStatus.Tooling.Lint;

public static partial class LintRules
{
    /// <summary>MS027 <c>detach_partition_without_concurrently</c> (error). Its page: docs/rules/MS027.md; its cases: tests/MentorStatus.Tests/Lint/Corpus/MS027/.</summary>
    public static readonly LintRule DetachPartitionWithoutConcurrently = new("MS027", RuleLevel.Error,
        "partition detached without CONCURRENTLY",
        "`alter table … detach partition …` takes an ACCESS EXCLUSIVE lock on the partitioned table: every read and write of every partition waits, " +
        "and queues behind any long query on any of them.",
        "`alter table … detach partition … concurrently` (PostgreSQL 14+; SHARE UPDATE EXCLUSIVE, reads and writes go on) in a migration file of its own " +
        "(it cannot run in a transaction); after an interruption, finish it with `… detach partition … finalize`.")
    {
        Name = "detach_partition_without_concurrently",
        Counterparts = "squawk: require-concurrent-partition-detach",
    };

    /// <summary>
    /// MS027 from the statement text, checked on the replay where it ran: DETACH PARTITION without CONCURRENTLY (or FINALIZE)
    /// that took ACCESS EXCLUSIVE on a partitioned table that existed.
    /// </summary>
    internal sealed partial class DetachPartitionWithoutConcurrentlyCheck : LintCheck
    {
        [GeneratedRegex($@"^alter table (?:if exists )?(?:only )?(?<table>{StatementText.Name}) detach partition (?<partition>{StatementText.Name})(?<rest>.*)$")]
        private static partial Regex DetachPartition();

        public override IEnumerable<LintFinding> CheckStep(MigrationTrace trace, TraceStep step)
        {
            if (!StatementText.Checked(step)) yield break;
            var text = StatementText.WithoutLiterals(step.Statement.Normalized);
            if (DetachPartition().Match(text) is { Success: true } detach && !Regex.IsMatch(detach.Groups["rest"].Value, @"\b(concurrently|finalize)\b")
                && (!step.Traced || step.NewLocks.Any(l => l.IsAccessExclusive && step.Before!.Relations.TryGetValue(l.Relation, out var r) && r.Kind == 'p')))
                yield return LintFinding.For(DetachPartitionWithoutConcurrently, trace.Migration.DisplayPath, step.Statement,
                    $"partition {StatementText.Unquote(detach.Groups["partition"].Value)} is detached from {StatementText.Unquote(detach.Groups["table"].Value)} without CONCURRENTLY: " +
                    "ACCESS EXCLUSIVE on the partitioned table, every read and write of every partition waits");
        }
    }
}
