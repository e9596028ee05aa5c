using System.Text;
using System.Text.RegularExpressions;

namespace MentorStatus.Tests.Reliability;

/// <summary>
/// Finds UPDATE / DELETE / TRUNCATE / MERGE statements that target peer_mentor_status_history in SQL text, and the
/// SQL inside C# string literals. What does NOT count, and how it is told apart:
///   * comments (-- and nested /* */) are removed before matching;
///   * '…' and E'…' string literals are removed: the append-only triggers' messages ("UPDATE of record % refused")
///     are literals, as are COMMENT ON texts;
///   * dollar-quoted bodies ($$…$$, $tag$…$tag$) are NOT removed: a function body is code and is scanned too;
///   * the trigger definitions and REVOKEs name the table after "update on" / "truncate on table", which is not
///     the target position of a write: the patterns require the table right after the verb (or after FROM/INTO).
/// Also flagged: any TRUNCATE … CASCADE (it would reach the history table through the foreign key), and a write
/// whose target is an interpolation hole in C# ({…}), which cannot be checked statically.
/// </summary>
internal static partial class HistoryWriteScanner
{
    private const string Table = @"(?:""?public""?\s*\.\s*)?""?peer_mentor_status_history""?\b";

    [GeneratedRegex(@"\b(?:update\s+(?:only\s+)?" + Table + @"|delete\s+from\s+(?:only\s+)?" + Table + @"|merge\s+into\s+(?:only\s+)?" + Table +
                    @"|truncate\s+(?:table\s+)?(?:only\s+)?(?:[\w.""]+\s*,\s*(?:only\s+)?)*" + Table + @"|truncate\s+[^;]*\bcascade\b|(?:update|delete\s+from|truncate(?:\s+table)?)\s+\{)",
        RegexOptions.IgnoreCase)]
    private static partial Regex HistoryWrite();

    [GeneratedRegex(@"\G\$([A-Za-z_][A-Za-z0-9_]*)?\$")]
    private static partial Regex DollarTag();

    /// <summary>The offending statements (flattened), empty when the SQL never writes the history table.</summary>
    public static List<string> Scan(string sql) =>
        HistoryWrite().Matches(Regex.Replace(Code(sql), @"\s+", " "))
            .Select(m => m.Value.Trim()).ToList();

    /// <summary>The SQL with comments and single-quoted literals blanked; dollar-quoted bodies kept as code.</summary>
    public static string Code(string sql)
    {
        var code = new StringBuilder(sql.Length);
        var i = 0;
        while (i < sql.Length)
        {
            var c = sql[i];
            var next = i + 1 < sql.Length ? sql[i + 1] : '\0';
            if (c == '-' && next == '-')
            {
                while (i < sql.Length && sql[i] != '\n') i++;
                code.Append(' ');
            }
            else if (c == '/' && next == '*')
            {
                var depth = 0;
                do
                {
                    if (i + 1 < sql.Length && sql[i] == '/' && sql[i + 1] == '*') { depth++; i += 2; }
                    else if (i + 1 < sql.Length && sql[i] == '*' && sql[i + 1] == '/') { depth--; i += 2; }
                    else i++;
                } while (depth > 0 && i < sql.Length);
                code.Append(' ');
            }
            else if (c == '\'')
            {
                var escapes = i > 0 && (sql[i - 1] is 'e' or 'E') && (i < 2 || !char.IsLetterOrDigit(sql[i - 2]));
                i++;
                while (i < sql.Length)
                {
                    if (escapes && sql[i] == '\\') { i += 2; continue; }
                    if (sql[i] == '\'' && i + 1 < sql.Length && sql[i + 1] == '\'') { i += 2; continue; }
                    if (sql[i] == '\'') { i++; break; }
                    i++;
                }
                code.Append(" '' ");
            }
            else if (c == '$' && (i == 0 || !char.IsLetterOrDigit(sql[i - 1])) && DollarTag().Match(sql, i) is { Success: true } tag)
            {
                var start = i + tag.Length;
                var end = sql.IndexOf(tag.Value, start, StringComparison.Ordinal);
                var body = end < 0 ? sql[start..] : sql[start..end];
                code.Append(' ').Append(Code(body)).Append(' '); // a body is code: scan it as SQL
                i = end < 0 ? sql.Length : end + tag.Length;
            }
            else
            {
                code.Append(c);
                i++;
            }
        }
        return code.ToString();
    }

    /// <summary>The contents of every string literal in a C# file (regular, verbatim, interpolated, raw), with its line.</summary>
    public static List<(int Line, string Text)> CSharpStringLiterals(string source)
    {
        var literals = new List<(int, string)>();
        var i = 0;
        var line = 1;
        while (i < source.Length)
        {
            var c = source[i];
            var next = i + 1 < source.Length ? source[i + 1] : '\0';
            if (c == '\n') { line++; i++; continue; }
            if (c == '/' && next == '/') { while (i < source.Length && source[i] != '\n') i++; continue; }
            if (c == '/' && next == '*')
            {
                var end = source.IndexOf("*/", i + 2, StringComparison.Ordinal);
                end = end < 0 ? source.Length : end + 2;
                line += source[i..end].Count(ch => ch == '\n');
                i = end;
                continue;
            }
            if (c == '\'')
            {
                // char literal: '"', '\'', '\\', 'x', '\u0000'
                var end = i + 1;
                if (end < source.Length && source[end] == '\\') end += 2; else end++;
                while (end < source.Length && source[end] != '\'') end++;
                i = end + 1;
                continue;
            }
            if (c == '"' || ((c is '$' or '@') && (next == '"' || (next is '$' or '@') && i + 2 < source.Length && source[i + 2] == '"')))
            {
                var prefixEnd = i;
                while (prefixEnd < source.Length && source[prefixEnd] is '$' or '@') prefixEnd++;
                var verbatim = source[i..prefixEnd].Contains('@');
                var quotes = 0;
                while (prefixEnd + quotes < source.Length && source[prefixEnd + quotes] == '"') quotes++;
                var startLine = line;
                string text;
                int after;
                if (quotes >= 3)
                {
                    var fence = new string('"', quotes);
                    var end = source.IndexOf(fence, prefixEnd + quotes, StringComparison.Ordinal);
                    end = end < 0 ? source.Length : end;
                    text = source[(prefixEnd + quotes)..end];
                    after = Math.Min(source.Length, end + quotes);
                }
                else if (quotes == 2 && !verbatim)
                {
                    text = "";
                    after = prefixEnd + 2;
                }
                else
                {
                    var sb = new StringBuilder();
                    var j = prefixEnd + 1;
                    while (j < source.Length)
                    {
                        if (verbatim && source[j] == '"' && j + 1 < source.Length && source[j + 1] == '"') { sb.Append('"'); j += 2; continue; }
                        if (!verbatim && source[j] == '\\' && j + 1 < source.Length) { sb.Append(source[j + 1] == 'n' ? '\n' : source[j + 1]); j += 2; continue; }
                        if (source[j] == '"') break;
                        sb.Append(source[j]);
                        j++;
                    }
                    text = sb.ToString();
                    after = Math.Min(source.Length, j + 1);
                }
                line += source[i..after].Count(ch => ch == '\n');
                literals.Add((startLine, text));
                i = after;
                continue;
            }
            i++;
        }
        return literals;
    }
}
