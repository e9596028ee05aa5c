using MentorStatus.Database.Migrations;
using MentorStatus.Tooling.Rules;

namespace MentorStatus.Tooling.Lint;

/// <summary>
/// `-- lint: ignore MS004 because the table is empty in every environment` on a line before a statement
/// acknowledges that rule for that statement (several ids: `MS001, MS005`; a rule's name does as well as its code). Before the first statement
/// it also covers findings about the whole file (missing rollback, rollback mismatch).
/// </summary>
public static class LintAcknowledgements
{
    private sealed record Ack(int Line, IReadOnlyList<string> Ids, string Reason);

    /// <summary>Marks findings acknowledged by the file's comments, and adds an MS017 error for each malformed acknowledgement.</summary>
    public static IReadOnlyList<LintFinding> Apply(string file, string sql, IReadOnlyList<SqlStatement> statements, IReadOnlyList<LintFinding> findings)
    {
        var result = new List<LintFinding>();
        var acks = new List<Ack>();
        var lines = sql.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            var comment = line.IndexOf("--", StringComparison.Ordinal);
            if (comment < 0) continue;
            // the first directive of the line, as far as the line goes (IgnoreDirectives: the syntax db security shares)
            if (IgnoreDirectives.Find(line[comment..], IgnoreDirectives.LintMarker) is not [var directive, ..]) continue;
            if (LintRules.BadAcknowledgementCheck.Check(file, i + 1, line, directive) is { } bad)
            {
                result.Add(bad);
                continue;
            }
            acks.Add(new Ack(i + 1, directive.Ids.Select(id => LintRules.Find(id)!.Id).ToList(), directive.Reason)); // a name counts as its code
        }

        var firstLine = statements.Count > 0 ? statements[0].Line : int.MaxValue;
        foreach (var finding in findings)
        {
            var target = finding.StatementNumber is { } n ? statements[n - 1] : null;
            var ack = acks.LastOrDefault(a => a.Ids.Contains(finding.Rule.Id) && (target is null
                ? a.Line < firstLine
                : a.Line < target.Line && a.Line > PreviousStatementEnd(statements, target)));
            result.Add(ack is null ? finding : finding with { AcknowledgedBecause = ack.Reason });
        }
        return result;
    }

    /// <summary>The last line of the statement before <paramref name="statement"/> (0 for the first).</summary>
    private static int PreviousStatementEnd(IReadOnlyList<SqlStatement> statements, SqlStatement statement)
    {
        if (statement.Number <= 1) return 0;
        var previous = statements[statement.Number - 2];
        return previous.Line + previous.Text.Count(c => c == '\n');
    }
}
