using MentorStatus.Database.Migrations;
using MentorStatus.Tooling.Rules;

namespace MentorStatus.Tooling.Lint;

public static partial class LintRules
{
    /// <summary>MS009 <c>non_transactional_not_alone</c> (error). Its page: docs/rules/MS009.md; its cases: tests/MentorStatus.Tests/Lint/Corpus/MS009/.</summary>
    public static readonly LintRule NonTransactionalNotAlone = new("MS009", RuleLevel.Error,
        "non-transactional statement not alone in its file",
        "CREATE INDEX CONCURRENTLY, VACUUM and the like fail inside a transaction (SQLSTATE 25001); the runner and the Supabase CLI run a file as one transaction.",
        "Move the statement to a migration file of its own (`db new NAME`), as its only statement.")
    {
        Name = "non_transactional_not_alone",
        Counterparts = "squawk: ban-concurrent-index-creation-in-transaction",
    };

    /// <summary>MS009 statically: a statement that cannot run in a transaction shares its file with others.</summary>
    internal sealed class NonTransactionalNotAloneCheck : LintCheck
    {
        /// <summary>The note of the static checks of statements that cannot run in a transaction (MS009, MS018, MS003 for VACUUM FULL).</summary>
        public const string StaticNote = "checked statically: the statement cannot run in a transaction, so it was not traced";

        public override IEnumerable<LintFinding> CheckStep(MigrationTrace trace, TraceStep step)
        {
            var statements = trace.Migration.Statements;
            if (NonTransactionalStatement.Matches(step.Statement) && statements.Count > 1)
                yield return LintFinding.For(NonTransactionalNotAlone, trace.Migration.DisplayPath, step.Statement,
                    $"statement {step.Statement.Number} ({NonTransactionalStatement.Describe(step.Statement)}) shares its file with {statements.Count - 1} other statement(s)",
                    StaticNote);
        }
    }
}
