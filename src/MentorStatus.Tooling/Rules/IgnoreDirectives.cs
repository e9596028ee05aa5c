using System.Text.RegularExpressions;

namespace MentorStatus.Tooling.Rules;

/// <summary>One <c>ignore</c>: the rule ids it names (empty when none could be read) and its reason ("" when none was given).</summary>
public sealed record IgnoreDirective(IReadOnlyList<string> Ids, string Reason)
{
    /// <summary>Names at least one rule and says why.</summary>
    public bool IsComplete => Ids.Count > 0 && Reason.Length > 0;

    /// <summary>Whether it names <paramref name="ruleId"/> (ids compare without regard to case).</summary>
    public bool Names(string ruleId) => Ids.Contains(ruleId, StringComparer.OrdinalIgnoreCase);
}

/// <summary>
/// The one way to acknowledge a finding, for <c>db lint</c> and <c>db security</c> alike:
/// <c>TOOL: ignore ID[, ID…] because REASON</c>. For the lint it is a <c>-- lint: ignore MS004 because …</c> line of the
/// migration before the statement; for the security check, <c>security: ignore rls_enabled_no_policy because …</c> in
/// the COMMENT of the object found. An acknowledged finding is listed with its reason and does not fail.
/// </summary>
public static partial class IgnoreDirectives
{
    /// <summary>The marker of a lint acknowledgement: in a <c>--</c> comment.</summary>
    public const string LintMarker = @"--\s*lint\s*:\s*ignore\b";

    /// <summary>The marker of a security acknowledgement: anywhere in an object's COMMENT.</summary>
    public const string SecurityMarker = @"\bsecurity\s*:\s*ignore\b";

    // A rule id: MS004, rls_enabled_no_policy. `because` itself is never one.
    [GeneratedRegex(@"^\s*(?<ids>(?!because\b)[A-Za-z][A-Za-z0-9_]*(?:\s*,\s*(?!because\b)[A-Za-z][A-Za-z0-9_]*)*)\s*(?:because\s+(?<reason>\S.*?))?\s*$",
        RegexOptions.IgnoreCase | RegexOptions.Singleline)]
    private static partial Regex Body();

    /// <summary>
    /// Every directive in <paramref name="text"/> that starts with <paramref name="marker"/> (<see cref="LintMarker"/>,
    /// <see cref="SecurityMarker"/>); each runs to the next marker or the end of the text.
    /// </summary>
    public static IReadOnlyList<IgnoreDirective> Find(string text, string marker)
    {
        var markers = Regex.Matches(text, marker, RegexOptions.IgnoreCase);
        var found = new List<IgnoreDirective>(markers.Count);
        for (var i = 0; i < markers.Count; i++)
        {
            var from = markers[i].Index + markers[i].Length;
            var to = i + 1 < markers.Count ? markers[i + 1].Index : text.Length;
            var body = Body().Match(text[from..to]);
            found.Add(body.Success
                ? new IgnoreDirective(body.Groups["ids"].Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries),
                    body.Groups["reason"].Value.Trim())
                : new IgnoreDirective([], ""));
        }
        return found;
    }
}
