using MentorStatus.Database.Migrations;

namespace MentorStatus.Tooling.Lint;

/// <summary>
/// Static checks of statements that cannot run in a transaction (their locks and catalog changes cannot be
/// traced): MS009 such a statement among others; MS003 for VACUUM FULL, which rewrites under ACCESS EXCLUSIVE;
/// MS018 a concurrent index build or drop that a rerun after a crash would trip over; MS026 BEGIN/COMMIT in the file.
/// </summary>
internal sealed class TransactionRules : ILintRuleFamily
{
    private const string StaticNote = "checked statically: the statement cannot run in a transaction, so it was not traced";

    public IEnumerable<LintFinding> Check(MigrationTrace trace)
    {
        var statements = trace.Migration.Statements;
        foreach (var statement in statements.Where(NonTransactionalStatement.Matches))
        {
            if (statements.Count > 1)
                yield return LintFinding.For(LintRules.NonTransactionalNotAlone, trace.Migration.DisplayPath, statement,
                    $"statement {statement.Number} ({NonTransactionalStatement.Describe(statement)}) shares its file with {statements.Count - 1} other statement(s)",
                    StaticNote);
            if (System.Text.RegularExpressions.Regex.IsMatch(statement.Normalized, @"^(create (unique )?index concurrently (?!if not exists)|drop index concurrently (?!if exists))"))
                yield return LintFinding.For(LintRules.NonIdempotentConcurrentIndex, trace.Migration.DisplayPath, statement,
                    $"statement {statement.Number} ({NonTransactionalStatement.Describe(statement)}) has no IF {(statement.Normalized.StartsWith("drop", StringComparison.Ordinal) ? "" : "NOT ")}EXISTS", StaticNote);
            if (System.Text.RegularExpressions.Regex.IsMatch(statement.Normalized, @"^vacuum (\([^)]*\bfull\b[^)]*\)|full\b)"))
                yield return LintFinding.For(LintRules.TableRewrite, trace.Migration.DisplayPath, statement,
                    "VACUUM FULL rewrites the table and all its indexes under an ACCESS EXCLUSIVE lock: reads and writes stop until it is done", StaticNote,
                    fix: "Do not VACUUM FULL in a migration: plain VACUUM (no lock that blocks writes) reclaims space for reuse; to shrink the files online use pg_repack.");
        }
        foreach (var step in trace.Steps.Where(s => s.IsTransactionControl))
            yield return LintFinding.For(LintRules.TransactionControlInFile, trace.Migration.DisplayPath, step.Statement,
                $"statement {step.Statement.Number} ({step.Statement.Normalized.Split(' ')[0].ToUpperInvariant()}) controls the transaction: " +
                (trace.Deploy == DeployTool.DbUp
                    ? "`db up` refuses the file"
                    : "`supabase db push` sends the file and its history row as one implicit transaction, which the file's own BEGIN/COMMIT split: " +
                      "what comes before its COMMIT commits on its own, so a failure after it leaves the file half-applied and unrecorded, and a rerun repeats the first part") +
                "; the lint replayed the rest of it in one transaction");
    }
}
