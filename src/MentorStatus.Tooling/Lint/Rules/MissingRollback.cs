using MentorStatus.Tooling.Rules;

namespace MentorStatus.Tooling.Lint;

public static partial class LintRules
{
    /// <summary>MS015 <c>missing_rollback</c> (error). Its page: docs/rules/MS015.md; its cases: tests/MentorStatus.Tests/Lint/Corpus/MS015/.</summary>
    public static readonly LintRule MissingRollback = new("MS015", RuleLevel.Error,
        "migration without rollback",
        "Without supabase/rollbacks/<version>_<name>.sql the migration cannot be reverted with `db down`, and its up/down round trip cannot be tested.",
        "Write the rollback: undo exactly what the migration does, newest change first.")
    {
        Name = "missing_rollback",
    };

    /// <summary>MS015, asked by the rollback check (<see cref="RollbackMismatchCheck"/>) before it runs anything: the migration has no file in supabase/rollbacks.</summary>
    internal static class MissingRollbackCheck
    {
        public static LintFinding Finding(LintInput migration) =>
            LintFinding.ForFile(MissingRollback, migration.DisplayPath, $"no rollback: expected supabase/rollbacks/{migration.Version}_{migration.Name}.sql");
    }
}
