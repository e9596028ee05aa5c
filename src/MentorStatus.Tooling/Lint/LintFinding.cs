using MentorStatus.Database.Migrations;
using MentorStatus.Tooling.Rules;

namespace MentorStatus.Tooling.Lint;

/// <summary>One finding: which rule, where (file:line), on which statement, and what exactly was seen.</summary>
public sealed record LintFinding
{
    public required LintRule Rule { get; init; }
    public required string File { get; init; }
    public required int Line { get; init; }
    /// <summary>1-based statement number in the file, or null for a finding about the whole file.</summary>
    public int? StatementNumber { get; init; }
    /// <summary>The statement, shortened to one line.</summary>
    public string? Statement { get; init; }
    /// <summary>What was seen, naming the table, column or constraint.</summary>
    public required string Message { get; init; }
    /// <summary>How it was found when that matters, e.g. "checked statically: runs outside a transaction".</summary>
    public string? Note { get; init; }
    /// <summary>A fix for this very finding when it differs from the rule's general one (e.g. for a materialized view).</summary>
    public string? FixOverride { get; init; }
    public string Fix => FixOverride ?? Rule.Fix;
    /// <summary>A level for this very finding when the effect seen is milder (or graver) than the rule's usual one, e.g. MS005 on a lock that blocks only writers.</summary>
    public RuleLevel? LevelOverride { get; init; }
    public RuleLevel Level => LevelOverride ?? Rule.Level;
    /// <summary>The reason of a matching `-- lint: ignore` line; acknowledged findings do not fail the lint.</summary>
    public string? AcknowledgedBecause { get; init; }

    public bool IsAcknowledged => AcknowledgedBecause is not null;

    /// <summary>Whether it fails a lint that fails on <paramref name="failOn"/> (<c>--fail-on</c>): at that level or above, not acknowledged.</summary>
    public bool FailsAt(RuleLevel failOn) => RuleLevels.Fails(Level, IsAcknowledged, failOn);

    public static string Shorten(string statement, int max = 120)
    {
        var oneLine = string.Join(' ', statement.Split((char[])['\n', '\r', '\t', ' '], StringSplitOptions.RemoveEmptyEntries));
        return oneLine.Length <= max ? oneLine : oneLine[..(max - 1)] + "…";
    }

    public static LintFinding For(LintRule rule, string file, SqlStatement statement, string message, string? note = null, string? fix = null) => new()
    {
        Rule = rule, File = file, Line = statement.Line, StatementNumber = statement.Number,
        Statement = Shorten(statement.Text), Message = message, Note = note, FixOverride = fix,
    };

    public static LintFinding ForFile(LintRule rule, string file, string message, string? note = null) => new()
    {
        Rule = rule, File = file, Line = 1, Message = message, Note = note,
    };
}

/// <summary>What was linted and what was found.</summary>
public sealed record LintedMigration(string Version, string File, string? Rollback, IReadOnlyList<string> Notes);

public sealed record LintReport(IReadOnlyList<LintedMigration> Migrations, IReadOnlyList<LintFinding> Findings, IReadOnlyList<string> Notes)
{
    /// <summary>The level from which an unacknowledged finding fails the lint (<c>--fail-on</c>); errors only unless chosen otherwise.</summary>
    public RuleLevel FailOn { get; init; } = RuleLevels.LintDefaultFailOn;
    public int Errors => Findings.Count(f => f.Level == RuleLevel.Error && !f.IsAcknowledged);
    public int Warnings => Findings.Count(f => f.Level == RuleLevel.Warning && !f.IsAcknowledged);
    public int Acknowledged => Findings.Count(f => f.IsAcknowledged);
    public bool Failed => Findings.Any(f => f.FailsAt(FailOn));
    /// <summary>Where the time went (not part of any report format).</summary>
    public LintPhaseTimes Times { get; init; } = new();
}
