using System.Text.Json;
using MentorStatus.Database;
using MentorStatus.Tooling.Lint;
using MentorStatus.Tests.Infrastructure;

namespace MentorStatus.Tests.Lint;

/// <summary>Acknowledgements, pending-only selection, lock_timeout modes, report formats, and the project's own migrations.</summary>
public sealed class LintBehaviourTests
{
    private const string BlockingIndex = "create index things_name_idx on public.things (name);\n";

    /// <summary>As `db up` deploys: its session lock_timeout counts, so the index build is only MS001 (not also MS005).</summary>
    private static readonly LintOptions DbUp = new() { LockTimeout = LockTimeoutOverride.DbUp(TimeSpan.FromSeconds(10)) };

    [Fact]
    public async Task AcknowledgedFindingIsReportedButDoesNotFail()
    {
        var report = await LintHarness.LintSqlAsync(
            "-- lint: ignore MS001 because things holds a handful of rows everywhere\n" + BlockingIndex, "drop index public.things_name_idx;\n", DbUp);
        var finding = Assert.Single(report.Findings, f => f.Rule.Id == "MS001");
        Assert.Equal("things holds a handful of rows everywhere", finding.AcknowledgedBecause);
        Assert.False(report.Failed, LintReportFormats.Text(report));
    }

    [Fact]
    public async Task AnAcknowledgementMayNameTheRuleInsteadOfItsCode()
    {
        // One id scheme with db security: every rule has a code and a name, and an ignore takes either.
        var report = await LintHarness.LintSqlAsync(
            "-- lint: ignore index_without_concurrently because things holds a handful of rows everywhere\n" + BlockingIndex,
            "drop index public.things_name_idx;\n", DbUp);
        var finding = Assert.Single(report.Findings, f => f.Rule.Id == "MS001");
        Assert.Equal("things holds a handful of rows everywhere", finding.AcknowledgedBecause);
        Assert.DoesNotContain(report.Findings, f => f.Rule.Id == "MS017");
        Assert.False(report.Failed, LintReportFormats.Text(report));
    }

    [Fact]
    public async Task AcknowledgementCoversOnlyTheNextStatement()
    {
        var report = await LintHarness.LintSqlAsync(
            "-- lint: ignore MS001 because small\n" + BlockingIndex + "create index things_owner_idx on public.things (owner_id);\n",
            "drop index public.things_owner_idx;\ndrop index public.things_name_idx;\n");
        var findings = report.Findings.Where(f => f.Rule.Id == "MS001").OrderBy(f => f.Line).ToList();
        Assert.Equal(2, findings.Count);
        Assert.True(findings[0].IsAcknowledged);
        Assert.False(findings[1].IsAcknowledged);
        Assert.True(report.Failed);
    }

    [Fact]
    public async Task OnlyPendingMigrationsAreLintedWithoutAll()
    {
        var report = await LintHarness.LintSqlAsync(BlockingIndex, "drop index public.things_name_idx;\n");
        Assert.Equal([LintHarness.CaseVersion], report.Migrations.Select(m => m.Version));
    }

    [Fact]
    public async Task RunnerLockTimeoutCountsUnlessStrict()
    {
        const string sql = "alter table public.things add column note text;\n";
        const string rollback = "alter table public.things drop column note;\n";
        var counted = await LintHarness.LintSqlAsync(sql, rollback, new LintOptions { LockTimeout = LockTimeoutOverride.DbUp(TimeSpan.FromSeconds(10)) });
        var strict = await LintHarness.LintSqlAsync(sql, rollback, new LintOptions { LockTimeout = LockTimeoutOverride.Strict });
        Assert.DoesNotContain(counted.Findings, f => f.Rule.Id == "MS005");
        Assert.Contains(strict.Findings, f => f.Rule.Id == "MS005" && f.Line == 1);
        Assert.Contains(counted.Notes, n => n.Contains("--lock-timeout given"));
        Assert.Contains(strict.Notes, n => n.Contains("strict (--strict-lock-timeout)"));
    }

    [Fact]
    public async Task NonTransactionalFileIsCheckedStaticallyAndSaysSo()
    {
        var report = await LintHarness.LintSqlAsync("create index concurrently if not exists things_name_idx on public.things (name);\n",
            "drop index concurrently if exists public.things_name_idx;\n");
        Assert.Empty(report.Findings);
        Assert.Contains(report.Migrations.Single().Notes, n => n.Contains("checked statically only"));
    }

    [Fact]
    public async Task FormatsCarryRuleFileAndLine()
    {
        var report = await LintHarness.LintSqlAsync("-- a comment\n" + BlockingIndex, "drop index public.things_name_idx;\n", DbUp);
        var file = $"supabase/migrations/{LintHarness.CaseVersion}_case.sql";

        var text = LintReportFormats.Text(report);
        Assert.Contains("error[MS001]", text);
        Assert.Contains($"--> {file}:2", text);
        Assert.Contains("= fix:", text);

        var github = LintReportFormats.Github(report);
        Assert.Contains($"::error file={file},line=2,title=MS001::", github);
        var annotation = github.Split('\n').Single(l => l.StartsWith("::error", StringComparison.Ordinal));
        Assert.Contains("%0Awhy: ", annotation); // the multi-line message is escaped onto one line, as GitHub requires

        using var json = JsonDocument.Parse(LintReportFormats.Json(report));
        var finding = json.RootElement.GetProperty("findings").EnumerateArray().Single(f => f.GetProperty("rule").GetString() == "MS001");
        Assert.Equal(2, finding.GetProperty("line").GetInt32());
        Assert.Equal("error", finding.GetProperty("level").GetString());
        Assert.True(json.RootElement.GetProperty("summary").GetProperty("failed").GetBoolean());
    }

    /// <summary>The repository's own supabase/ migrations: `db lint --all` must find no unacknowledged error.</summary>
    [Fact]
    public async Task ProjectMigrationsPassClean()
    {
        var project = ProjectLayout.Find(AppContext.BaseDirectory);
        var target = await LintHarness.JournalDatabaseAsync();
        var report = await new MigrationLinter(project, target, new LintOptions { All = true }).LintAsync();
        Assert.NotEmpty(report.Migrations);
        Assert.False(report.Failed, LintReportFormats.Text(report));
    }
}
