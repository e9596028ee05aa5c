using MentorStatus.Tooling.Rules;

namespace MentorStatus.Tooling.Lint;

public static partial class LintRules
{
    /// <summary>MS000 <c>statement_failed</c> (error). Its page: docs/rules/MS000.md; its cases: tests/MentorStatus.Tests/Lint/Corpus/MS000/.</summary>
    public static readonly LintRule StatementFailed = new("MS000", RuleLevel.Error,
        "statement fails when the migration is replayed",
        "A migration that fails on a copy of the database as it stood before it will fail in production too.",
        "Fix the statement so the migration applies on top of every earlier migration.")
    {
        Name = "statement_failed",
        Counterparts = "squawk: syntax-error (parse only); eugene: (runs the file)",
    };

    /// <summary>
    /// MS000 from the replay itself (<see cref="MigrationLinter"/> asks for it first, before every other check): a file that cannot
    /// be split into statements, and each statement that failed, with its SQLSTATE and the server's message and what may have
    /// caused it (the first failure of the file, or a failure of a file already applied that the replay built on).
    /// </summary>
    internal static class StatementFailedCheck
    {
        public static IEnumerable<LintFinding> Check(LintInput migration, MigrationTrace trace, string? appliedFailure)
        {
            if (migration.ParseError is { } parseError)
                yield return LintFinding.ForFile(StatementFailed, migration.DisplayPath,
                    $"the file cannot be split into statements: {parseError}; nothing of it was replayed") with { Line = migration.ParseErrorLine };
            var failures = trace.Steps.Where(s => s.Error is not null).ToList();
            foreach (var failed in failures)
                yield return LintFinding.For(StatementFailed, migration.DisplayPath, failed.Statement,
                    $"statement {failed.Statement.Number} fails with SQLSTATE {failed.Error!.SqlState}: {failed.Error.MessageText}" +
                    (failed == failures[0] ? appliedFailure is null ? "" : $" (possibly because {appliedFailure})"
                        : $" (possibly because statement {failures[0].Statement.Number} failed)"),
                    failures.Count > 1 || failed != trace.Steps[^1]
                        ? "the failed statement was rolled back alone and the rest of the file replayed, so later findings are still reported"
                        : null);
        }
    }
}
