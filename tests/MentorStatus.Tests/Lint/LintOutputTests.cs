using System.Text.Json;
using MentorStatus.Tooling.Lint;
using MentorStatus.Tests.Infrastructure;

namespace MentorStatus.Tests.Lint;

/// <summary>SARIF for code scanning, messages that name the right cause and fix, and the exit codes of `db lint`.</summary>
public sealed class LintOutputTests
{
    [Fact]
    public async Task SarifCarriesRulesResultsLocationsAndSuppressions()
    {
        var report = await LintHarness.LintSqlAsync(
            "set lock_timeout = '1s';\n-- lint: ignore MS001 because tiny\ncreate index things_name_idx on public.things (name);\n" +
            "create index things_created_idx on public.things (created_at);\n",
            "drop index public.things_created_idx;\ndrop index public.things_name_idx;\n");
        using var sarif = JsonDocument.Parse(LintReportFormats.Sarif(report));
        Assert.Equal("2.1.0", sarif.RootElement.GetProperty("version").GetString());
        var run = sarif.RootElement.GetProperty("runs")[0];
        var rules = run.GetProperty("tool").GetProperty("driver").GetProperty("rules").EnumerateArray().Select(r => r.GetProperty("id").GetString()).ToList();
        Assert.Equal(LintRules.All.Select(r => r.Id), rules);
        var results = run.GetProperty("results").EnumerateArray().Where(r => r.GetProperty("ruleId").GetString() == "MS001").ToList();
        Assert.Equal(2, results.Count);
        var location = results.Select(r => r.GetProperty("locations")[0].GetProperty("physicalLocation")).ToList();
        Assert.All(location, l => Assert.Equal($"supabase/migrations/{LintHarness.CaseVersion}_case.sql", l.GetProperty("artifactLocation").GetProperty("uri").GetString()));
        Assert.Equal([3, 4], location.Select(l => l.GetProperty("region").GetProperty("startLine").GetInt32()).Order());
        var suppressed = Assert.Single(results, r => r.TryGetProperty("suppressions", out _));
        Assert.Equal("tiny", suppressed.GetProperty("suppressions")[0].GetProperty("justification").GetString());
        Assert.Equal(rules.IndexOf("MS001"), results[0].GetProperty("ruleIndex").GetInt32());
    }

    [Fact]
    public async Task StoredGeneratedColumnIsARewriteNotAVolatileDefault()
    {
        var report = await LintHarness.LintCaseAsync(Path.Combine("MS003", "bad", "stored_generated_column.sql"));
        var finding = Assert.Single(report.Findings, f => f.Rule.Id == "MS003");
        Assert.Contains("stored generated column name_upper", finding.Message);
        Assert.DoesNotContain("volatile", finding.Message);
    }

    [Fact]
    public async Task RefreshAndClusterNameTheirObjectAndFix()
    {
        var refresh = Assert.Single((await LintHarness.LintCaseAsync(Path.Combine("MS003", "bad", "refresh_materialized_view.sql"))).Findings, f => f.Rule.Id == "MS003");
        Assert.StartsWith("materialized view reporting.thing_counts", refresh.Message);
        Assert.Contains("refresh materialized view concurrently", refresh.Fix);
        var cluster = Assert.Single((await LintHarness.LintCaseAsync(Path.Combine("MS003", "bad", "cluster.sql"))).Findings, f => f.Rule.Id == "MS003");
        Assert.StartsWith("CLUSTER rewrites existing table public.things", cluster.Message);
        Assert.Contains("pg_repack", cluster.Fix);
        var vacuum = Assert.Single((await LintHarness.LintCaseAsync(Path.Combine("MS003", "bad", "vacuum_full.sql"))).Findings, f => f.Rule.Id == "MS003");
        Assert.Contains("VACUUM FULL", vacuum.Message);
        Assert.Contains("pg_repack", vacuum.Fix);
    }

    [Fact]
    public async Task VarcharToTextIsNeitherAnIndexBuildNorARewrite()
    {
        var report = await LintHarness.LintCaseAsync(Path.Combine("MS001", "good", "varchar_to_text_keeps_index_file.sql"));
        Assert.DoesNotContain(report.Findings, f => f.Rule.Id is "MS001" or "MS003");
    }

    [Fact]
    public async Task UnknownRuleMessageListsEveryRule()
    {
        var report = await LintHarness.LintSqlAsync("-- lint: ignore MS999 because why not\nselect 1;\n", "select 1;\n");
        var finding = Assert.Single(report.Findings, f => f.Rule.Id == "MS017");
        foreach (var rule in LintRules.All) Assert.Contains(rule.Id, finding.Message);
    }

    [Fact]
    public async Task ExitCodesOneForFindingsTwoWhenTheLintCannotRun()
    {
        var cluster = await TestCluster.GetAsync();
        using var project = new TempProject();
        project.AddMigration("20260101000000", "open_table", "create table public.open_table (id bigint primary key);\n", "drop table public.open_table;\n");
        var url = cluster.Target().Url;

        var findings = await CliRunner.RunAsync(project.Layout.Root, "--db-url", url, "db", "lint", "--all", "--format", "sarif");
        Assert.Equal(1, findings.ExitCode);
        using (var sarif = JsonDocument.Parse(findings.Stdout))
            Assert.Contains(sarif.RootElement.GetProperty("runs")[0].GetProperty("results").EnumerateArray(), r => r.GetProperty("ruleId").GetString() == "MS010");

        var noDatabase = await CliRunner.RunAsync(project.Layout.Root, "--db-url", "postgresql://postgres:postgres@127.0.0.1:1/postgres", "db", "lint", "--all");
        Assert.Equal(2, noDatabase.ExitCode);
        Assert.Contains("db lint could not run", noDatabase.Stderr);

        var badOption = await CliRunner.RunAsync(project.Layout.Root, "--db-url", url, "db", "lint", "--format", "xml");
        Assert.Equal(2, badOption.ExitCode);

        await File.WriteAllTextAsync(Path.Combine(project.Layout.SupabaseDirectory, "lint.toml"), "[lint]\ndeploy = \"ftp\"\n");
        var badSetting = await CliRunner.RunAsync(project.Layout.Root, "--db-url", url, "db", "lint", "--all");
        Assert.Equal(2, badSetting.ExitCode);
        Assert.Contains("supabase/lint.toml", badSetting.Stderr);
    }

    /// <summary>`--fail-on` (shared with `db security`) picks the level that fails; without it only errors fail.</summary>
    [Fact]
    public async Task FailOnChoosesTheLevelThatFailsAndTheDefaultStaysError()
    {
        var cluster = await TestCluster.GetAsync();
        using var project = new TempProject();
        project.AddMigration("20260101000000", "realtime_feed",
            "create table public.feed (id bigint primary key);\nalter table public.feed enable row level security;\nalter table public.feed replica identity full;\n",
            "drop table public.feed;\n");
        var url = cluster.Target().Url;

        var byDefault = await CliRunner.RunAsync(project.Layout.Root, "--db-url", url, "db", "lint", "--all", "--format", "json");
        Assert.True(byDefault.ExitCode == 0, byDefault.Stdout + byDefault.Stderr);
        using (var json = JsonDocument.Parse(byDefault.Stdout))
        {
            var summary = json.RootElement.GetProperty("summary");
            Assert.Equal((0, 1, false, "error"), (summary.GetProperty("errors").GetInt32(), summary.GetProperty("warnings").GetInt32(),
                summary.GetProperty("failed").GetBoolean(), summary.GetProperty("fail_on").GetString()));
            Assert.Equal("warning", Assert.Single(json.RootElement.GetProperty("findings").EnumerateArray()).GetProperty("level").GetString());
        }
        var defaultText = await CliRunner.RunAsync(project.Layout.Root, "--db-url", url, "db", "lint", "--all");
        Assert.Equal(0, defaultText.ExitCode);
        Assert.Contains("warning[MS028]", defaultText.Stdout);
        Assert.Contains("✓ 1 migration(s) linted: 0 error(s), 1 warning(s), 0 acknowledged\n", defaultText.Stdout.ReplaceLineEndings("\n"));

        var onWarning = await CliRunner.RunAsync(project.Layout.Root, "--db-url", url, "db", "lint", "--all", "--fail-on", "warning");
        Assert.Equal(1, onWarning.ExitCode);
        Assert.Contains("✗ 1 migration(s) linted: 0 error(s), 1 warning(s), 0 acknowledged (--fail-on warning)", onWarning.Stdout);
        Assert.Equal(1, (await CliRunner.RunAsync(project.Layout.Root, "--db-url", url, "db", "lint", "--all", "--fail-on", "info")).ExitCode);
        Assert.Equal(0, (await CliRunner.RunAsync(project.Layout.Root, "--db-url", url, "db", "lint", "--all", "--fail-on", "error")).ExitCode);

        var unknown = await CliRunner.RunAsync(project.Layout.Root, "--db-url", url, "db", "lint", "--all", "--fail-on", "warn");
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("--fail-on", unknown.Stderr);
        var help = await CliRunner.RunAsync(project.Layout.Root, "db", "lint", "--help");
        Assert.Contains("--fail-on", help.Stdout);
    }
}
