using System.Text;
using MentorStatus.Tooling.Lint;
using MentorStatus.Tooling.Security;

namespace MentorStatus.Tooling.Rules;

/// <summary>A rule of <c>db lint</c> or <c>db security</c> as the catalogue shows it: on its page, docs/rules/CODE.md, and with <c>--explain CODE</c>.</summary>
/// <param name="Tool"><c>db lint</c> or <c>db security</c>.</param>
public sealed record CatalogueRule(string Code, string Name, string Tool, RuleLevel Level, string Title, string Why, string Fix)
{
    /// <summary>Which findings take another level, when some do.</summary>
    public string? LevelNote { get; init; }

    /// <summary>Squawk's, eugene's, splinter's (or the other tool's) rules that find the same; "" when none.</summary>
    public string Counterparts { get; init; } = "";

    /// <summary>The rule's file, its check and its text, relative to the repository.</summary>
    public required string Source { get; init; }

    /// <summary>Where its cases are, relative to the repository.</summary>
    public required string Cases { get; init; }
}

/// <summary>A case of a rule shown on its page, e.g. "Flagged" (a file the rule flags), "Not flagged" (its safe twin).</summary>
public sealed record RuleExample(string Label, string Path, string Sql);

/// <summary>
/// The one catalogue of <c>db lint</c>'s and <c>db security</c>'s rules: one code scheme (MS0nn, MS2nn), one level scale
/// (<see cref="RuleLevel"/>), one ignore syntax (<see cref="IgnoreDirectives"/>), and per rule one file holding its check and its
/// text (Lint/Rules/NAME.cs, Security/Rules/NAME.cs, NAME in PascalCase) from which its page is made.
/// </summary>
public static class RuleCatalogue
{
    /// <summary>Where the rules' files are, relative to the repository.</summary>
    public const string LintRulesFolder = "src/MentorStatus.Tooling/Lint/Rules";
    public const string SecurityRulesFolder = "src/MentorStatus.Tooling/Security/Rules";

    /// <summary>Every rule, <c>db lint</c>'s then <c>db security</c>'s, in code order.</summary>
    public static IReadOnlyList<CatalogueRule> All =>
        [.. LintRules.All.Select(FromLint), .. SecurityRules.All.Select(FromSecurity).OrderBy(r => r.Code, StringComparer.Ordinal)];

    /// <summary>The rule with this code or name, of either tool (either case), or null.</summary>
    public static CatalogueRule? Find(string codeOrName) => All.FirstOrDefault(r =>
        string.Equals(r.Code, codeOrName, StringComparison.OrdinalIgnoreCase) || string.Equals(r.Name, codeOrName, StringComparison.OrdinalIgnoreCase));

    /// <summary>The file of the rule named <paramref name="name"/>: index_without_concurrently → IndexWithoutConcurrently.cs.</summary>
    public static string FileName(string name) =>
        string.Concat(name.Split('_', StringSplitOptions.RemoveEmptyEntries).Select(w => char.ToUpperInvariant(w[0]) + w[1..])) + ".cs";

    private static CatalogueRule FromLint(LintRule r) => new(r.Id, r.Name, "db lint", r.Level, r.Title, r.Why, r.Fix)
    {
        LevelNote = r.LevelNote, Counterparts = r.Counterparts,
        Source = $"{LintRulesFolder}/{FileName(r.Name)}", Cases = $"tests/MentorStatus.Tests/Lint/Corpus/{r.Id}/",
    };

    private static CatalogueRule FromSecurity(SecurityRule r) => new(r.Code, r.Id, "db security", r.Level, r.Title, r.Why, r.Fix)
    {
        Counterparts = r.Counterparts,
        Source = $"{SecurityRulesFolder}/{FileName(r.Id)}", Cases = "tests/MentorStatus.Tests/Security/SecurityInvariantTests.cs",
    };

    /// <summary>What <c>--explain</c> prints: the rule's page without its examples (Markdown).</summary>
    public static string Explain(CatalogueRule rule)
    {
        var lint = rule.Tool == "db lint";
        var failOn = lint ? RuleLevels.LintDefaultFailOn : RuleLevels.SecurityDefaultFailOn;
        var word = lint ? rule.Level.Word() : $"{rule.Level.SplinterWord()} ({rule.Level.Word()})";
        var effect = rule.Level >= failOn
            ? $"fails `{rule.Tool}` (exit 1) unless acknowledged" + (rule.Level < RuleLevel.Error ? "; listed only with `--fail-on error`" : "")
            : $"listed; fails `{rule.Tool}` with `--fail-on {rule.Level.Word()}`";
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"# {rule.Code} `{rule.Name}`\n\n{rule.Title}\n\n");
        text.Append(CultureInfo.InvariantCulture, $"- Tool: `{rule.Tool}`, {(lint ? "on each migration, replayed on a throwaway database" : "on the catalog of a database")}\n");
        text.Append(CultureInfo.InvariantCulture, $"- Level: {word}: {effect}{(rule.LevelNote is { } note ? $"; {note}" : "")}\n");
        text.Append(CultureInfo.InvariantCulture, $"- Counterparts: {(rule.Counterparts.Length > 0 ? rule.Counterparts : "none")}\n");
        text.Append(CultureInfo.InvariantCulture, $"- Check and text: `{rule.Source}`\n");
        text.Append(CultureInfo.InvariantCulture, $"- Cases: `{rule.Cases}`\n\n");
        text.Append(CultureInfo.InvariantCulture, $"## Why\n\n{rule.Why}\n\n## Fix\n\n{rule.Fix}\n\n## Acknowledging a finding\n\n");
        text.Append(lint
            ? $"On the line before the statement (before the first statement, for a finding about the whole file), with the reason it is safe there:\n\n" +
              $"```sql\n-- lint: ignore {rule.Code} because <why it is safe here>\n```\n\nThe rule's name, `{rule.Name}`, does as well as its code.\n"
            : $"In the comment of the object found, with the reason:\n\n" +
              $"```sql\ncomment on … is '… security: ignore {rule.Code} because <why it is safe here>';\n```\n\nThe rule's name, `{rule.Name}`, does as well as its code.\n");
        return text.ToString();
    }

    /// <summary>The rule's page, docs/rules/CODE.md: <see cref="Explain"/> and its cases (Markdown).</summary>
    public static string Page(CatalogueRule rule, IEnumerable<RuleExample> examples)
    {
        var text = new StringBuilder(Explain(rule));
        var shown = examples.ToList();
        if (shown.Count > 0) text.Append("\n## Examples\n");
        foreach (var example in shown)
            text.Append(CultureInfo.InvariantCulture,
                $"\n{example.Label}, `{example.Path}`:\n\n```sql\n{example.Sql.TrimEnd()}\n```\n");
        return text.ToString();
    }

    /// <summary>The catalogue's index for docs/lint.md: one row per rule, its code linking to its page.</summary>
    public static string Index()
    {
        var text = new StringBuilder("| code | name | tool | level | finds | counterparts |\n| --- | --- | --- | --- | --- | --- |\n");
        foreach (var rule in All)
        {
            var level = rule.Tool == "db lint" ? rule.Level.Word() : rule.Level.SplinterWord();
            text.Append(CultureInfo.InvariantCulture,
                $"| [{rule.Code}](rules/{rule.Code}.md) | `{rule.Name}` | `{rule.Tool}` | {level}{(rule.LevelNote is null ? "" : " (see page)")} | {rule.Title.Replace("|", "\\|")} | {(rule.Counterparts.Length > 0 ? rule.Counterparts.Replace("|", "\\|") : "—")} |\n");
        }
        return text.ToString();
    }
}
