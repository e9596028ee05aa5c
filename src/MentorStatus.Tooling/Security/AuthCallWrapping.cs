using System.Text.RegularExpressions;

namespace MentorStatus.Tooling.Security;

/// <summary>
/// One definition, shared by <c>db security</c> (rule auth_rls_initplan) and <c>db lint</c> (MS012), of a
/// policy expression that calls auth.uid() / auth.jwt() / auth.role() per row instead of once per query.
/// The wrapped form, as pg_get_expr deparses it, reads "( SELECT auth.uid() AS uid)".
/// </summary>
public static partial class AuthCallWrapping
{
    [GeneratedRegex(@"auth\.(uid|jwt|role)\(\)")]
    private static partial Regex AuthCall();

    [GeneratedRegex(@"SELECT\s+$", RegexOptions.IgnoreCase)]
    private static partial Regex SelectBefore();

    /// <summary>The auth calls of <paramref name="expression"/> that are not directly inside a scalar subquery.</summary>
    public static IReadOnlyList<string> UnwrappedAuthCalls(string expression) =>
        AuthCall().Matches(expression).Where(m => !SelectBefore().IsMatch(expression[..m.Index])).Select(m => m.Value).ToList();

    public static bool HasUnwrappedAuthCall(string expression) => UnwrappedAuthCalls(expression).Count > 0;
}
