using MentorStatus.Tests.Infrastructure;
using MentorStatus.Tooling.Lint;
using MentorStatus.Tooling.Rules;
using MentorStatus.Tooling.Security;

namespace MentorStatus.Tests.Lint;

/// <summary>
/// One catalogue for <c>db lint</c> and <c>db security</c>: every rule has one code and one name across both tools, exactly one file
/// (its check and its text) and exactly one page, docs/rules/CODE.md, made from that file and its cases; docs/lint.md's index lists
/// them; <c>--explain</c> prints a rule as its page does. The pages are generated: run these tests with MS_WRITE_RULE_DOCS=1 to
/// write them again after changing a rule's text or its cases.
/// </summary>
public sealed class RuleCatalogueTests
{
    private const string IndexStart = "<!-- rule catalogue: made from the rules' files by RuleCatalogueTests (MS_WRITE_RULE_DOCS=1 writes it) -->";
    private const string IndexEnd = "<!-- end of rule catalogue -->";

    private static string Root => TestDatabases.Project.Root;
    private static bool Write => Environment.GetEnvironmentVariable("MS_WRITE_RULE_DOCS") == "1";

    [Fact]
    public void CodesAndNamesAreUniqueAcrossBothTools()
    {
        var rules = RuleCatalogue.All;
        Assert.Equal(LintRules.All.Count + SecurityRules.All.Count, rules.Count);
        Assert.Equal(rules.Count, rules.Select(r => r.Code).Distinct(StringComparer.OrdinalIgnoreCase).Count());
        Assert.Equal(rules.Count, rules.Select(r => r.Name).Distinct(StringComparer.OrdinalIgnoreCase).Count());
        Assert.All(LintRules.All, r => Assert.Matches("^MS0[0-9]{2}$", r.Id));
        Assert.All(SecurityRules.All, r => Assert.Matches("^MS2[0-9]{2}$", r.Code));
        Assert.All(rules, r => Assert.False(string.IsNullOrWhiteSpace(r.Why) || string.IsNullOrWhiteSpace(r.Fix) || string.IsNullOrWhiteSpace(r.Title), r.Code));
    }

    [Fact]
    public void EveryRuleHasExactlyOneFile()
    {
        foreach (var (folder, tool) in new[] { (RuleCatalogue.LintRulesFolder, "db lint"), (RuleCatalogue.SecurityRulesFolder, "db security") })
        {
            var files = Directory.GetFiles(Path.Combine(Root, folder), "*.cs").Select(f => $"{folder}/{Path.GetFileName(f)}").Order(StringComparer.Ordinal);
            Assert.Equal(RuleCatalogue.All.Where(r => r.Tool == tool).Select(r => r.Source).Order(StringComparer.Ordinal), files);
        }
        // the file holds the rule's definition: its code and name
        foreach (var rule in RuleCatalogue.All)
        {
            var text = File.ReadAllText(Path.Combine(Root, rule.Source));
            Assert.Contains($"\"{rule.Code}\"", text);
            Assert.Contains($"\"{rule.Name}\"", text);
        }
    }

    [Fact]
    public void EveryRuleHasExactlyOnePageMadeFromItsFileAndCases()
    {
        var folder = Path.Combine(Root, "docs", "rules");
        if (Write) Directory.CreateDirectory(folder);
        var stale = new List<string>();
        foreach (var rule in RuleCatalogue.All)
        {
            var path = Path.Combine(folder, rule.Code + ".md");
            var page = RuleCatalogue.Page(rule, Examples(rule));
            if (Write) File.WriteAllText(path, page);
            else if (!File.Exists(path) || File.ReadAllText(path) != page) stale.Add(rule.Code);
        }
        Assert.True(stale.Count == 0, $"docs/rules out of date for {string.Join(", ", stale)}: run the test with MS_WRITE_RULE_DOCS=1");
        Assert.Equal(RuleCatalogue.All.Select(r => r.Code + ".md").Order(StringComparer.Ordinal),
            Directory.GetFiles(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void LintDocsIndexListsTheCatalogue()
    {
        var path = Path.Combine(Root, "docs", "lint.md");
        var text = File.ReadAllText(path);
        var start = text.IndexOf(IndexStart, StringComparison.Ordinal);
        var end = text.IndexOf(IndexEnd, StringComparison.Ordinal);
        Assert.True(start >= 0 && end > start, $"docs/lint.md has no block between {IndexStart} and {IndexEnd}");
        var expected = text[..(start + IndexStart.Length)] + "\n" + RuleCatalogue.Index() + text[end..];
        if (Write) File.WriteAllText(path, expected);
        else Assert.True(expected == text, "docs/lint.md's rule index is out of date: run the test with MS_WRITE_RULE_DOCS=1");
    }

    [Theory]
    [InlineData("lint", "MS005", "MS005")]
    [InlineData("lint", "index_without_concurrently", "MS001")]
    [InlineData("security", "MS217", "MS217")]
    [InlineData("security", "RLS_ENABLED_NO_POLICY", "MS203")]
    [InlineData("lint", "rls_enabled_no_policy", "MS203")] // one catalogue: either command explains either tool's rules
    public async Task ExplainPrintsTheRuleAsItsPageDoesWithoutADatabase(string command, string id, string code)
    {
        var result = await CliRunner.RunAsync(Root, "--db-url", "postgresql://postgres@127.0.0.1:1/nothing", "db", command, "--explain", id);
        Assert.True(result.ExitCode == 0, result.Stderr);
        var rule = RuleCatalogue.Find(code)!;
        Assert.Equal(RuleCatalogue.Explain(rule), result.Stdout.ReplaceLineEndings("\n"));
        Assert.StartsWith(result.Stdout.ReplaceLineEndings("\n"), File.ReadAllText(Path.Combine(Root, "docs", "rules", code + ".md")));
    }

    [Fact]
    public async Task ExplainOfAnUnknownRuleIsAUsageErrorListingTheCodes()
    {
        var result = await CliRunner.RunAsync(Root, "db", "lint", "--explain", "MS999");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("no rule 'MS999'", result.Stderr);
        Assert.Contains("MS031, MS201", result.Stderr);
    }

    /// <summary>A lint rule's corpus cases, flagged ones first, each beside its rollback; db security's cases are tests, not files.</summary>
    private static IEnumerable<RuleExample> Examples(CatalogueRule rule)
    {
        if (rule.Tool != "db lint") yield break;
        foreach (var (kind, label) in new[] { ("bad", "Flagged (`-- expect:` marks the line)"), ("good", "Not flagged") })
        {
            var folder = Path.Combine(LintHarness.CorpusDirectory, rule.Code, kind);
            if (!Directory.Exists(folder)) continue;
            foreach (var file in Directory.GetFiles(folder, "*.sql").OrderBy(f => f.Replace(".rollback.sql", ".sql"), StringComparer.Ordinal).ThenBy(f => f.EndsWith(".rollback.sql", StringComparison.Ordinal)))
                yield return new RuleExample(file.EndsWith(".rollback.sql", StringComparison.Ordinal) ? "Its rollback" : label,
                    Path.GetRelativePath(Root, file).Replace('\\', '/'), File.ReadAllText(file));
        }
    }
}
