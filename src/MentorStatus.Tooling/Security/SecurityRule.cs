using MentorStatus.Tooling.Rules;

namespace MentorStatus.Tooling.Security;

/// <summary>
/// One rule of <c>db security</c>: a catalog query that returns one row per offending object, with the
/// columns <c>object</c> (qualified name), <c>detail</c> (the finding in words), <c>comment</c> (the object's
/// COMMENT, where an acknowledgement may live) and <c>subject</c> (text for <see cref="Matches"/>, or NULL).
/// Queries may use the parameters <c>@exposed</c> (schemas the API exposes), <c>@platform</c> (schemas that
/// belong to the platform, never checked) and <c>@api_roles</c>; they run with <c>search_path = pg_catalog</c>.
/// </summary>
/// <param name="Id">The rule's name, shown in findings; splinter's name where the rule is one of Supabase's lints.</param>
/// <param name="Matches">A check the catalog cannot do in SQL, applied to <c>subject</c>; null = every row is a finding.</param>
public sealed record SecurityRule(
    string Id,
    RuleLevel Level,
    string Title,
    string Query,
    string Fix,
    Func<string, bool>? Matches = null)
{
    /// <summary>
    /// Its code, MS2nn (<c>db lint</c>'s rules are MS000–MS099): with <see cref="Id"/>, the rule's name, one id scheme
    /// for both tools. An acknowledgement may give either.
    /// </summary>
    public string Code { get; init; } = "";

    /// <summary>What it finds and why that matters, for its page (docs/rules/MS2nn.md) and <c>--explain</c>.</summary>
    public string Why { get; init; } = "";

    /// <summary>Splinter's lint and the <c>db lint</c> rule that find the same, or "the project's own", for its page.</summary>
    public string Counterparts { get; init; } = "";
}

/// <summary>
/// One offending object. <see cref="Acknowledged"/> holds the reason when the object's comment says
/// <c>security: ignore RULE_ID because REASON</c>; an acknowledged finding never fails the check.
/// </summary>
/// <param name="Level">The level shared with <c>db lint</c>; printed as splinter grades it (<see cref="RuleLevels.SplinterWord"/>: INFO, WARN, ERROR).</param>
public sealed record SecurityFinding(string Rule, RuleLevel Level, string Object, string Detail, string Fix, string? Acknowledged)
{
    /// <summary>Whether it fails a check that fails on <paramref name="failOn"/> (<c>--fail-on</c>): at that level or above, not acknowledged.</summary>
    public bool FailsAt(RuleLevel failOn) => RuleLevels.Fails(Level, Acknowledged is not null, failOn);

    public override string ToString() => $"{Rule}: {Detail}";
}
