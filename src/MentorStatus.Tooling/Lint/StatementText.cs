using System.Text.RegularExpressions;

namespace MentorStatus.Tooling.Lint;

/// <summary>
/// The statement text as the statement rules (MS027–MS031) read it: literals and function bodies blanked out, names (plain or
/// quoted, qualified or not) matched and unquoted.
/// </summary>
internal static partial class StatementText
{
    /// <summary>A name, plain or quoted, qualified or not, for the rules' patterns.</summary>
    public const string Name = @"(?:""(?:[^""]|"""")+""|[a-z_][a-z0-9_$]*)(?:\.(?:""(?:[^""]|"""")+""|[a-z_][a-z0-9_$]*))?";

    [GeneratedRegex(@"\$([a-z0-9_]*)\$.*?\$\1\$|'(?:[^']|'')*'", RegexOptions.Singleline | RegexOptions.IgnoreCase)]
    private static partial Regex QuotedText();

    /// <summary>The normalised statement with each literal and dollar-quoted body replaced by <c>''</c>.</summary>
    public static string WithoutLiterals(string normalized) => QuotedText().Replace(normalized, "''");

    /// <summary>A name as PostgreSQL keeps it: each quoted part without its quotes.</summary>
    public static string Unquote(string name) =>
        string.Join('.', Regex.Matches(name, @"""(?:[^""]|"""")+""|[^.""]+").Select(m => m.Value.StartsWith('"') ? m.Value[1..^1].Replace("\"\"", "\"") : m.Value));

    /// <summary>The steps the statement rules read: statements that ran without error and are not transaction control.</summary>
    public static bool Checked(TraceStep step) => step.Error is null && !step.IsTransactionControl;
}
