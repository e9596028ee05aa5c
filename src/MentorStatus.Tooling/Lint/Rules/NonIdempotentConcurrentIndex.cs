using System.Text.RegularExpressions;
using MentorStatus.Database.Migrations;
using MentorStatus.Tooling.Rules;

namespace MentorStatus.Tooling.Lint;

public static partial class LintRules
{
    /// <summary>MS018 <c>non_idempotent_concurrent_index</c> (error). Its page: docs/rules/MS018.md; its cases: tests/MentorStatus.Tests/Lint/Corpus/MS018/.</summary>
    public static readonly LintRule NonIdempotentConcurrentIndex = new("MS018", RuleLevel.Error,
        "concurrent index build or drop that cannot be rerun",
        "It runs outside a transaction, so a runner killed after the build but before its journal row leaves the index in place " +
        "with the migration still pending: the rerun then fails with 'already exists' (or 'does not exist' for a drop).",
        "Write `create index concurrently if not exists …` (or `drop index concurrently if exists …`); the runner repairs an INVALID leftover itself.")
    {
        Name = "non_idempotent_concurrent_index",
        Counterparts = "squawk: prefer-robust-stmts (that part)",
    };

    /// <summary>MS018 statically: <c>create index concurrently</c> without IF NOT EXISTS, <c>drop index concurrently</c> without IF EXISTS.</summary>
    internal sealed partial class NonIdempotentConcurrentIndexCheck : LintCheck
    {
        public override IEnumerable<LintFinding> CheckStep(MigrationTrace trace, TraceStep step)
        {
            var statement = step.Statement;
            if (NonTransactionalStatement.Matches(statement) && NotRerunnable().IsMatch(statement.Normalized))
                yield return LintFinding.For(NonIdempotentConcurrentIndex, trace.Migration.DisplayPath, statement,
                    $"statement {statement.Number} ({NonTransactionalStatement.Describe(statement)}) has no IF {(statement.Normalized.StartsWith("drop", StringComparison.Ordinal) ? "" : "NOT ")}EXISTS",
                    NonTransactionalNotAloneCheck.StaticNote);
        }

        [GeneratedRegex(@"^(create (unique )?index concurrently (?!if not exists)|drop index concurrently (?!if exists))")]
        private static partial Regex NotRerunnable();
    }
}
