using MentorStatus.Database.Migrations;

namespace MentorStatus.Database.Lint;

/// <summary>
/// Static checks of statements that cannot run in a transaction (their locks and catalog changes cannot be
/// traced): MS009 such a statement among others; MS003 for VACUUM FULL, which rewrites under ACCESS EXCLUSIVE.
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
            if (System.Text.RegularExpressions.Regex.IsMatch(statement.Normalized, @"^vacuum (\([^)]*\bfull\b[^)]*\)|full\b)"))
                yield return LintFinding.For(LintRules.TableRewrite, trace.Migration.DisplayPath, statement,
                    "VACUUM FULL rewrites the table under an ACCESS EXCLUSIVE lock", StaticNote);
        }
    }
}
