using MentorStatus.Tooling.Lint;
using MentorStatus.Tooling.Rules;

namespace MentorStatus.Tests.Lint;

/// <summary>
/// Corpus/&lt;rule&gt;/bad/*.sql must be flagged with that rule on the line its `-- expect:` marker names;
/// Corpus/&lt;rule&gt;/good/*.sql, the safe twins, must not be flagged with it. A `x.rollback.sql` next to a
/// case is its rollback. Every case is linted with the default reading of lock_timeout (strict: the temp project has no
/// supabase/lint.toml), so MS005 is about the file's own setting.
/// </summary>
public sealed class LintCorpusTests
{
    public static TheoryData<string> Bad() => Cases("bad");
    public static TheoryData<string> Good() => Cases("good");

    private static TheoryData<string> Cases(string kind) => new(CaseFiles(kind));

    private static IEnumerable<string> CaseFiles(string kind) =>
        from ruleDir in Directory.EnumerateDirectories(LintHarness.CorpusDirectory).Order(StringComparer.Ordinal)
        where Directory.Exists(Path.Combine(ruleDir, kind))
        from file in Directory.EnumerateFiles(Path.Combine(ruleDir, kind), "*.sql").Order(StringComparer.Ordinal)
        where !file.EndsWith(".rollback.sql", StringComparison.Ordinal)
        select Path.GetRelativePath(LintHarness.CorpusDirectory, file);

    private static string RuleOf(string relative) => relative.Split(Path.DirectorySeparatorChar)[0];

    [Theory]
    [MemberData(nameof(Bad))]
    public async Task BadMigrationIsFlaggedWithItsRuleAndLine(string relative)
    {
        var rule = RuleOf(relative);
        var expected = LintHarness.Expectations(await File.ReadAllTextAsync(LintHarness.CasePath(relative))).ToList();
        Assert.NotEmpty(expected);
        var report = await LintHarness.LintCaseAsync(relative);
        var matching = report.Findings.Where(f => f.Rule.Id == rule && f.File.Contains(LintHarness.CaseVersion)).ToList();
        var found = matching.Select(f => (f.Rule.Id, f.Line)).ToList();
        foreach (var expectation in expected)
            Assert.True(found.Contains(expectation),
                $"{relative}: expected {expectation.Rule} at line {expectation.Line}; found:\n{LintReportFormats.Text(report)}");
        Assert.True(report.Failed || matching.All(f => f.Level == RuleLevel.Warning), "an error-level finding must fail the lint");
    }

    [Theory]
    [MemberData(nameof(Good))]
    public async Task GoodTwinIsNotFlagged(string relative)
    {
        var rule = RuleOf(relative);
        var report = await LintHarness.LintCaseAsync(relative);
        Assert.True(report.Migrations.Count == 1, $"{relative}: the case itself must be linted\n{LintReportFormats.Text(report)}");
        Assert.False(report.Findings.Any(f => f.Rule.Id == rule && !f.IsAcknowledged),
            $"{relative}: flagged with {rule}:\n{LintReportFormats.Text(report)}");
    }

    [Fact]
    public void EveryRuleHasABadAndAGoodCase()
    {
        var bad = CaseFiles("bad").Select(RuleOf).ToHashSet();
        var good = CaseFiles("good").Select(RuleOf).ToHashSet();
        foreach (var rule in LintRules.All)
        {
            Assert.Contains(rule.Id, bad);
            Assert.Contains(rule.Id, good);
        }
    }
}
