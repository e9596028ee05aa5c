using System.Text.RegularExpressions;
using MentorStatus.Tooling.Rules;

namespace MentorStatus.Tooling.Lint;

public static partial class LintRules
{
    /// <summary>MS006 <c>statements_after_access_exclusive</c> (warning). Its page: docs/rules/MS006.md; its cases: tests/MentorStatus.Tests/Lint/Corpus/MS006/.</summary>
    public static readonly LintRule StatementsAfterAccessExclusive = new("MS006", RuleLevel.Warning,
        "statements run after an ACCESS EXCLUSIVE lock was taken",
        "The lock is held until the transaction commits: every statement after it (index builds, data changes, function bodies) extends the time the table is unavailable.",
        "Move the statement that takes the ACCESS EXCLUSIVE lock to the end of the file, or into a migration of its own.")
    {
        Name = "statements_after_access_exclusive",
        Counterparts = "eugene: E4",
    };

    /// <summary>
    /// MS006, once per file: the first statement that takes ACCESS EXCLUSIVE on an existing table of the project, when statements
    /// whose time grows with the data run after it (the lock is held until the commit).
    /// </summary>
    internal sealed partial class StatementsAfterAccessExclusiveCheck : LintCheck
    {
        public override IEnumerable<LintFinding> CheckFile(MigrationTrace trace)
        {
            var firstExclusive = trace.Steps.FirstOrDefault(s => s.Traced && LockEvidence.WriteBlocking(s).Any(l => l.IsAccessExclusive));
            if (firstExclusive is null) yield break;
            var later = trace.Steps.SkipWhile(s => s != firstExclusive).Skip(1).Where(s => s.StaticOnlyReason is null && MayTakeLong(trace, s)).ToList();
            if (later.Count > 0)
                yield return LintFinding.For(StatementsAfterAccessExclusive, trace.Migration.DisplayPath, firstExclusive.Statement,
                    $"ACCESS EXCLUSIVE lock on {string.Join(", ", firstExclusive.NewLocks.Where(l => l.IsAccessExclusive && LockEvidence.IsTableLike(firstExclusive.Before!, l.Relation)).Select(l => firstExclusive.Before!.NameOf(l.Relation)).Distinct())} " +
                    $"is held while {later.Count} more statement(s) run (lines {later[0].Statement.Line}–{later[^1].Statement.Line})");
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

        [GeneratedRegex(@"^(insert|update|delete|merge|copy|refresh|cluster|reindex|analyze|with)\b")]
        private static partial Regex DataStatement();
    }
}
