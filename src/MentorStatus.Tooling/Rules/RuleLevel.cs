namespace MentorStatus.Tooling.Rules;

/// <summary>
/// How grave a finding of <c>db lint</c> or <c>db security</c> is; one scale for both. Ordered: a command fails
/// (exit 1) on an unacknowledged finding at its fail-on level or above (<c>--fail-on</c>).
/// </summary>
public enum RuleLevel { Info, Warning, Error }

/// <summary>The words each tool prints for a level, and the fail-on test both share.</summary>
public static class RuleLevels
{
    /// <summary>The words <c>--fail-on</c> accepts, gravest first.</summary>
    public static IReadOnlyList<string> Words { get; } = ["error", "warning", "info"];

    /// <summary><c>db lint</c>'s default: only errors fail, warnings are listed.</summary>
    public const RuleLevel LintDefaultFailOn = RuleLevel.Error;

    /// <summary><c>db security</c>'s default, splinter's: WARN and ERROR fail, INFO is listed.</summary>
    public const RuleLevel SecurityDefaultFailOn = RuleLevel.Warning;

    /// <summary>The lint's word: <c>error</c>, <c>warning</c>, <c>info</c> (also what <c>--fail-on</c> takes).</summary>
    public static string Word(this RuleLevel level) => level switch
    {
        RuleLevel.Error => "error",
        RuleLevel.Warning => "warning",
        _ => "info",
    };

    /// <summary>Splinter's word, which <c>db security</c> prints: <c>ERROR</c>, <c>WARN</c>, <c>INFO</c>.</summary>
    public static string SplinterWord(this RuleLevel level) => level switch
    {
        RuleLevel.Error => "ERROR",
        RuleLevel.Warning => "WARN",
        _ => "INFO",
    };

    /// <summary>The level a <see cref="Words"/> word names (either case); null for any other word.</summary>
    public static RuleLevel? Parse(string word) => word.ToLowerInvariant() switch
    {
        "error" => RuleLevel.Error,
        "warning" => RuleLevel.Warning,
        "info" => RuleLevel.Info,
        _ => null,
    };

    /// <summary>Whether a finding at <paramref name="level"/> fails a command that fails on <paramref name="failOn"/>: acknowledged ones never do.</summary>
    public static bool Fails(RuleLevel level, bool acknowledged, RuleLevel failOn) => !acknowledged && level >= failOn;
}
