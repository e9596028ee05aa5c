using System.Text.RegularExpressions;
using MentorStatus.Database.Migrations;

namespace MentorStatus.Tooling.Lint;

/// <summary>
/// The tables an UPDATE, DELETE or TRUNCATE of a migration names, read from the statement text (function bodies
/// and literals removed: a body that updates is not an update now), with what the rules need to know of each:
/// whether it touches every row (no WHERE, or a backfill `where col is null` of a column it sets) and whether a
/// TRUNCATE cascades. The names are resolved to tables in the replay session before the statement runs.
/// </summary>
internal static partial class DataStatements
{
    private const string Name = @"(?:""[^""]+""|[a-z_][a-z0-9_$]*)(?:\.(?:""[^""]+""|[a-z_][a-z0-9_$]*))?";

    [GeneratedRegex($@"\bupdate (?:only )?(?<name>{Name})(?: \*)?(?: (?:as )?(?!set\b)[a-z_][a-z0-9_]*)? set\b")]
    private static partial Regex Update();

    [GeneratedRegex($@"\bdelete from (?:only )?(?<name>{Name})")]
    private static partial Regex Delete();

    [GeneratedRegex($@"^truncate (?:table )?(?<names>(?:only )?{Name}(?: \*)?(?:, ?(?:only )?{Name}(?: \*)?)*)(?<rest>.*)$")]
    private static partial Regex Truncate();

    [GeneratedRegex(@"\$([a-z0-9_]*)\$.*?\$\1\$|'(?:[^']|'')*'", RegexOptions.Singleline | RegexOptions.IgnoreCase)]
    private static partial Regex QuotedText();

    /// <summary>`where col is null` (a backfill's shape), `where true`, `where 1 = 1`: every row that exists.</summary>
    [GeneratedRegex(@"^where ?(?:true|1 ?= ?1|\(?(?<col>""?[a-z_][a-z0-9_]*""?) is null\)?)$")]
    private static partial Regex EveryRowWhere();

    [GeneratedRegex(@"(?:^|, ?)(?<col>""?[a-z_][a-z0-9_]*""?) ?=")]
    private static partial Regex SetColumn();

    public static IReadOnlyList<(string Verb, string Name, bool EveryRow, bool Cascade)> Parse(SqlStatement statement)
    {
        var text = QuotedText().Replace(statement.Normalized, "''");
        if (text.StartsWith("create ", StringComparison.Ordinal) && !text.StartsWith("create table", StringComparison.Ordinal))
            return []; // create function/trigger/rule/policy: a definition, not a modification
        var tables = new List<(string, string, bool, bool)>();
        foreach (Match m in Update().Matches(text))
        {
            var clause = Clause(text, m.Index + m.Length);
            tables.Add(("UPDATE", m.Groups["name"].Value, UpdatesEveryRow(clause), false));
        }
        foreach (Match m in Delete().Matches(text))
            tables.Add(("DELETE", m.Groups["name"].Value, TopLevelKeyword(Clause(text, m.Index + m.Length), "where") < 0, false));
        if (Truncate().Match(text) is { Success: true } truncate)
        {
            var cascade = Regex.IsMatch(truncate.Groups["rest"].Value, @"\bcascade\b");
            tables.AddRange(truncate.Groups["names"].Value.Split(',')
                .Select(n => ("TRUNCATE", n.Trim().Replace("only ", "").TrimEnd('*').Trim(), true, cascade)));
        }
        return tables;
    }

    /// <summary>The rest of the (sub)statement from <paramref name="start"/>: up to the parenthesis that closes it, or the end.</summary>
    private static string Clause(string text, int start)
    {
        var depth = 0;
        for (var i = start; i < text.Length; i++)
        {
            if (text[i] == '(') depth++;
            else if (text[i] == ')' && --depth < 0) return text[start..i];
        }
        return text[start..];
    }

    private static bool UpdatesEveryRow(string clause)
    {
        var where = TopLevelKeyword(clause, "where");
        if (where < 0) return true;
        var set = clause[..where].Trim();
        var condition = clause[where..];
        var returning = TopLevelKeyword(condition, "returning");
        if (returning >= 0) condition = condition[..returning];
        var match = EveryRowWhere().Match(condition.Trim());
        if (!match.Success) return false;
        if (!match.Groups["col"].Success) return true;
        var column = match.Groups["col"].Value.Trim('"');
        return SetColumn().Matches(set).Any(c => c.Groups["col"].Value.Trim('"') == column);
    }

    /// <summary>
    /// Where <paramref name="keyword"/> starts as a word outside parentheses, or -1. The normalised text keeps a space only
    /// between two words, so the keyword may follow `)` or a number with no space (`set x = f(y)where`, `set n = 1where`):
    /// it is a keyword when the run of identifier characters before it is empty or a number (an identifier cannot start with a digit).
    /// </summary>
    internal static int TopLevelKeyword(string text, string keyword)
    {
        var depth = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '(') depth++;
            else if (text[i] == ')') depth--;
            else if (depth == 0 && string.CompareOrdinal(text, i, keyword, 0, keyword.Length) == 0
                     && (i + keyword.Length == text.Length || !IsIdentifierChar(text[i + keyword.Length])) && StartsWord(text, i))
                return i;
        }
        return -1;
    }

    private static bool StartsWord(string text, int i)
    {
        var start = i;
        while (start > 0 && IsIdentifierChar(text[start - 1])) start--;
        return start == i || char.IsAsciiDigit(text[start]);
    }

    private static bool IsIdentifierChar(char c) => char.IsLetterOrDigit(c) || c is '_' or '$';
}
