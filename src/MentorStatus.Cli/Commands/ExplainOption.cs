using System.CommandLine;
using MentorStatus.Cli.Output;
using MentorStatus.Tooling.Rules;

namespace MentorStatus.Cli.Commands;

/// <summary>
/// <c>--explain RULE</c> on <c>db lint</c> and <c>db security</c>: prints a rule of the shared catalogue, either tool's, by its code
/// or name, as its page (docs/rules/CODE.md) shows it without the examples, and exits 0, touching no database.
/// </summary>
internal static class ExplainOption
{
    public static Option<string?> Create() => new("--explain")
    {
        Description = "Print a rule (what it finds, why, the fix, how to acknowledge it) and exit, without a database: its code or name, " +
                      "of db lint or db security (MS001, rls_enabled_no_policy). docs/rules/CODE.md adds its cases.",
        HelpName = "rule",
    };

    /// <summary>Prints the rule; an unknown one is a usage error (exit 2) that lists the codes.</summary>
    public static int Print(string id, CommandOutput output)
    {
        var rule = RuleCatalogue.Find(id) ?? throw new UsageException(
            $"--explain: no rule '{id}'; the rules are {string.Join(", ", RuleCatalogue.All.Select(r => r.Code))}, or their names.");
        output.WriteText(RuleCatalogue.Explain(rule));
        return CommandAction.Ok;
    }
}
