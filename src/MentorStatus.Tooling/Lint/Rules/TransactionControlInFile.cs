using MentorStatus.Tooling.Rules;

namespace MentorStatus.Tooling.Lint;

public static partial class LintRules
{
    /// <summary>MS026 <c>transaction_control_in_file</c> (error). Its page: docs/rules/MS026.md; its cases: tests/MentorStatus.Tests/Lint/Corpus/MS026/.</summary>
    public static readonly LintRule TransactionControlInFile = new("MS026", RuleLevel.Error,
        "BEGIN, COMMIT or ROLLBACK in a migration file",
        "`db up` and `supabase db push` apply each file in one transaction together with its history row: `db up` refuses a file that controls the transaction itself; " +
        "under `supabase db push` the file's COMMIT splits it, so a failure after it leaves the file half-applied and unrecorded.",
        "Remove the BEGIN/COMMIT statements; a statement that cannot run in a transaction goes in a file of its own.")
    {
        Name = "transaction_control_in_file",
        Counterparts = "squawk: transaction-nesting, ban-uncommitted-transaction",
    };

    /// <summary>MS026, after the file's other statements: each BEGIN, COMMIT or ROLLBACK of the file, with what the deploy does with it.</summary>
    internal sealed class TransactionControlInFileCheck : LintCheck
    {
        public override IEnumerable<LintFinding> CheckFile(MigrationTrace trace)
        {
            foreach (var step in trace.Steps.Where(s => s.IsTransactionControl))
                yield return LintFinding.For(TransactionControlInFile, trace.Migration.DisplayPath, step.Statement,
                    $"statement {step.Statement.Number} ({step.Statement.Normalized.Split(' ')[0].ToUpperInvariant()}) controls the transaction: " +
                    (trace.Deploy == DeployTool.DbUp
                        ? "`db up` refuses the file"
                        : "`supabase db push` sends the file and its history row as one implicit transaction, which the file's own BEGIN/COMMIT split: " +
                          "what comes before its COMMIT commits on its own, so a failure after it leaves the file half-applied and unrecorded, and a rerun repeats the first part") +
                    "; the lint replayed the rest of it in one transaction");
        }
    }
}
