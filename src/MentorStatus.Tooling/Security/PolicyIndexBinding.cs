namespace MentorStatus.Tooling.Security;

/// <summary>
/// A policy the planner cannot bind to one index: its expression, as pg_get_expr deparses it, is an OR at the top
/// level (no AND-conjunct without one) whose arms test membership in different sets (<c>= ANY (ARRAY(...))</c>,
/// <c>IN (SELECT ...)</c>, a subquery). An OR has no single index condition: PostgreSQL can only BitmapOr the arms
/// (unordered) or read an index in the query's order and filter every row, which a user who sees nothing pays for
/// with a read of the whole table (<c>order by id limit 10</c>). The fix is one conjunct that is an index condition
/// (<c>column = any (array(select helper()))</c> over the union of what the arms allow), the rest as a filter.
/// Splitting the OR into several permissive policies does not help: PostgreSQL ORs them back into one qual.
/// </summary>
public static class PolicyIndexBinding
{
    /// <summary>True when <paramref name="expression"/> (a deparsed policy qual) is such an OR of membership tests.</summary>
    public static bool IsUnboundOr(string? expression)
    {
        if (string.IsNullOrWhiteSpace(expression)) return false;
        var conjuncts = SplitTopLevel(StripOuterParentheses(expression), " AND ");
        foreach (var conjunct in conjuncts)
            if (SplitTopLevel(StripOuterParentheses(conjunct), " OR ").Count == 1) return false; // an index condition may stand alone
        return conjuncts.Any(c => SplitTopLevel(StripOuterParentheses(c), " OR ").Count(IsMembershipTest) >= 2);
    }

    private static bool IsMembershipTest(string arm) =>
        arm.Contains("ANY (", StringComparison.Ordinal) || arm.Contains("SELECT ", StringComparison.Ordinal) || arm.Contains(" IN (", StringComparison.Ordinal);

    /// <summary>Removes parentheses that wrap the whole text (as pg_get_expr adds them), quotes respected.</summary>
    internal static string StripOuterParentheses(string text)
    {
        var t = text.Trim();
        while (t.Length >= 2 && t[0] == '(' && ClosingOf(t, 0) == t.Length - 1) t = t[1..^1].Trim();
        return t;
    }

    /// <summary>Splits at every <paramref name="separator"/> outside parentheses and quotes.</summary>
    internal static List<string> SplitTopLevel(string text, string separator)
    {
        var parts = new List<string>();
        int depth = 0, start = 0;
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\'') quoted = !quoted;
            else if (quoted) continue;
            else if (c == '(') depth++;
            else if (c == ')') depth--;
            else if (depth == 0 && string.CompareOrdinal(text, i, separator, 0, separator.Length) == 0)
            {
                parts.Add(text[start..i]);
                start = i + separator.Length;
                i = start - 1;
            }
        }
        parts.Add(text[start..]);
        return parts;
    }

    private static int ClosingOf(string text, int open)
    {
        var depth = 0;
        var quoted = false;
        for (var i = open; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\'') quoted = !quoted;
            else if (quoted) continue;
            else if (c == '(') depth++;
            else if (c == ')' && --depth == 0) return i;
        }
        return -1;
    }
}
