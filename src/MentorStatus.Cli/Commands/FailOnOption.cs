using System.CommandLine;
using MentorStatus.Tooling.Rules;

namespace MentorStatus.Cli.Commands;

/// <summary>
/// <c>--fail-on error|warning|info</c>, one spelling and one help text for <c>db lint</c> and <c>db security</c>: the level
/// (<see cref="RuleLevel"/>, shared by both) from which an unacknowledged finding makes the command exit 1. The defaults
/// differ: db lint fails on errors only (its warnings are judgement calls), db security on WARN too (splinter's grading).
/// </summary>
internal static class FailOnOption
{
    public const string Description =
        "Exit 1 when an unacknowledged finding is at this level or above: error, warning or info (db security's ERROR, WARN, INFO). " +
        "Default: error for db lint (warnings are listed), warning for db security (INFO is listed).";

    public static Option<string> Create(RuleLevel commandDefault)
    {
        var option = new Option<string>("--fail-on")
        {
            Description = Description,
            HelpName = string.Join('|', RuleLevels.Words),
            DefaultValueFactory = _ => commandDefault.Word(),
        };
        option.Validators.Add(result =>
        {
            if (result.Tokens.Count == 0 || RuleLevels.Parse(result.Tokens[^1].Value) is not null) return;
            var given = result.Tokens[^1].Value;
            result.AddError($"--fail-on must be error, warning or info (got '{given}')" +
                (given.Equals("warn", StringComparison.OrdinalIgnoreCase) ? "; db security's WARN is 'warning'." : "."));
        });
        return option;
    }

    /// <summary>The level given (the validator let through only <see cref="RuleLevels.Words"/>, in either case).</summary>
    public static RuleLevel Value(ParseResult parse, Option<string> option) => RuleLevels.Parse(parse.GetValue(option)!)!.Value;
}
