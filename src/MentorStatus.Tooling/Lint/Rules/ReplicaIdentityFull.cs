using System.Text.RegularExpressions;
using MentorStatus.Tooling.Rules;

namespace MentorStatus.Tooling.Lint;

public static partial class LintRules
{
    /// <summary>MS028 <c>replica_identity_full</c> (warning). Its page: docs/rules/MS028.md; its cases: tests/MentorStatus.Tests/Lint/Corpus/MS028/.</summary>
    public static readonly LintRule ReplicaIdentityFull = new("MS028", RuleLevel.Warning,
        "REPLICA IDENTITY FULL on a table",
        "With wal_level = logical (every Supabase project), each UPDATE and DELETE on the table then writes the whole old row to the WAL: " +
        "WAL volume, replication lag and Realtime's load grow with the row width and the write rate, for as long as the setting stays.",
        "Keep the default (the primary key) unless subscribers need the old row. If they do, limit it to small or rarely updated tables, " +
        "or use `replica identity using index …` on a unique index of NOT NULL columns; acknowledge it with the reason.")
    {
        Name = "replica_identity_full",
        Counterparts = "squawk: ban-replica-identity",
    };

    /// <summary>MS028 from the statement text: <c>alter table … replica identity full</c>.</summary>
    internal sealed partial class ReplicaIdentityFullCheck : LintCheck
    {
        [GeneratedRegex($@"^alter table (?:if exists )?(?:only )?(?<table>{StatementText.Name}).*\breplica identity full\b")]
        private static partial Regex Full();

        public override IEnumerable<LintFinding> CheckStep(MigrationTrace trace, TraceStep step)
        {
            if (!StatementText.Checked(step)) yield break;
            if (Full().Match(StatementText.WithoutLiterals(step.Statement.Normalized)) is { Success: true } identity)
                yield return LintFinding.For(ReplicaIdentityFull, trace.Migration.DisplayPath, step.Statement,
                    $"{StatementText.Unquote(identity.Groups["table"].Value)} gets REPLICA IDENTITY FULL: every UPDATE and DELETE on it writes the whole old row to the WAL from now on");
        }
    }
}
