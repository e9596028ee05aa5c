using MentorStatus.Tooling.Lint;
using MentorStatus.Tooling.Rules;

namespace MentorStatus.Tests.Lint;

/// <summary>
/// Findings that must be true on real projects: the level and wording that follow from what the statement really does,
/// one finding for a re-statement of Supabase's defaults, what the deploy does with BEGIN/COMMIT, and files already applied.
/// </summary>
public sealed class LintFindingsTests
{
    private const string Items = "create table public.items (id bigint primary key, owner_id uuid);\nalter table public.items enable row level security;\n";

    [Theory]
    [InlineData("MS024/bad/dump_restates_default_grants.sql")]
    [InlineData("MS024/bad/diff_restates_default_grants.sql")]
    public async Task FileThatRestatesSupabaseDefaultGrantsGetsOneWarningThatSaysSo(string relative)
    {
        var report = await LintHarness.LintCaseAsync(relative);
        var finding = Assert.Single(report.Findings, f => f.Rule.Id == "MS024");
        Assert.Equal(RuleLevel.Warning, finding.Level);
        Assert.Contains("re-state Supabase's default grants", finding.Message);
        Assert.Contains("revoke truncate, trigger, references", finding.Fix);
    }

    [Fact]
    public async Task HandWrittenGrantOfAllToAnonAloneStaysAnError()
    {
        var report = await LintHarness.LintCaseAsync("MS024/bad/grant_all_to_anon.sql");
        Assert.Equal(RuleLevel.Error, Assert.Single(report.Findings, f => f.Rule.Id == "MS024").Level);
    }

    [Fact]
    public async Task LockThatLetsReadsGoOnIsAWarningAndSaysSoAccessExclusiveStaysAnError()
    {
        var report = await LintHarness.LintSqlAsync(
            "create table public.notes (id bigint primary key, thing_id bigint references public.things (id));\n" +
            "alter table public.notes enable row level security;\n" +
            "alter table public.things add column note text;\n",
            "alter table public.things drop column note;\ndrop table public.notes;\n");
        var reference = Assert.Single(report.Findings, f => f.Rule.Id == "MS005" && f.Line == 1);
        Assert.Equal(RuleLevel.Warning, reference.Level);
        Assert.Contains("SHARE ROW EXCLUSIVE on public.things", reference.Message);
        Assert.Contains("reads go on", reference.Message);
        var alter = Assert.Single(report.Findings, f => f.Rule.Id == "MS005" && f.Line == 3);
        Assert.Equal(RuleLevel.Error, alter.Level);
        Assert.Contains("reads included", alter.Message);
    }

    [Fact]
    public async Task ResetAllDoesNotReintroduceAPolicyOfAnEarlierFile()
    {
        var report = await LintHarness.LintProjectAsync(
        [
            ("20260101000000", "open_policy", Items +
                "create policy items_update_all on public.items for update to authenticated using (true) with check (owner_id <> uuid_nil());\n", null),
            ("20260101000100", "reset", "reset all;\ncomment on table public.items is 'items';\n", null),
        ], "[lint]\nrequire_rollbacks = false\n", options: new LintOptions { Applied = new HashSet<string> { "20260101000000" } });
        Assert.Equal(["20260101000100"], report.Migrations.Select(m => m.Version));
        Assert.DoesNotContain(report.Findings, f => f.Rule.Id is "MS020" or "MS012");
    }

    [Theory]
    [InlineData("supabase db push", "`supabase db push` sends the file and its history row as one implicit transaction")]
    [InlineData("db up", "`db up` refuses the file")]
    public async Task TransactionControlFindingSaysWhatTheDeployDoes(string deploy, string expected)
    {
        var report = await LintHarness.LintProjectAsync([("20260101000000", "own_transaction", "begin;\n" + Items + "commit;\n", null)],
            $"[lint]\nrequire_rollbacks = false\ndeploy = \"{deploy}\"\n");
        var findings = report.Findings.Where(f => f.Rule.Id == "MS026").ToList();
        Assert.Equal(2, findings.Count);
        Assert.All(findings, f => Assert.Contains(expected, f.Message));
        if (deploy != "db up") Assert.All(findings, f => Assert.DoesNotContain("db up", f.Message));
    }

    [Fact]
    public async Task InPendingModeReplayFailuresOfAppliedFilesAreNotFindings()
    {
        var report = await LintHarness.LintProjectAsync(
        [
            ("20260101000000", "applied_needs_missing_function", Items + "select public.function_this_server_lacks();\n" +
                "create table public.made_after (id bigint primary key);\nalter table public.made_after enable row level security;\n", null),
            ("20260101000100", "pending", "alter table public.items add column note text;\n", null),
        ], "[lint]\nrequire_rollbacks = false\ndeploy = \"db up\"\n", options: new LintOptions { Applied = new HashSet<string> { "20260101000000" } });
        Assert.Equal(["20260101000100"], report.Migrations.Select(m => m.Version));
        Assert.DoesNotContain(report.Findings, f => f.Rule.Id == "MS000");
        Assert.DoesNotContain(report.Findings, f => f.File.Contains("applied_needs_missing_function"));
        Assert.False(report.Failed, LintReportFormats.Text(report));
        Assert.Contains(report.Notes, n => n.Contains("applied_needs_missing_function") && n.Contains("already applied") && n.Contains("42883"));
    }

    [Fact]
    public async Task PendingFileThatFailsAfterAnAppliedFileDidNamesItAsThePossibleCause()
    {
        var report = await LintHarness.LintProjectAsync(
        [
            ("20260101000000", "applied_broken", "create table public.items (id bigint primary key, v public.type_this_server_lacks);\n", null),
            ("20260101000100", "pending", "alter table public.items add column note text;\n", null),
        ], "[lint]\nrequire_rollbacks = false\n", options: new LintOptions { Applied = new HashSet<string> { "20260101000000" } });
        var failed = Assert.Single(report.Findings, f => f.Rule.Id == "MS000");
        Assert.Contains("pending", failed.File);
        Assert.Contains("possibly because supabase/migrations/20260101000000_applied_broken.sql, already applied, did not replay", failed.Message);
    }

    [Fact]
    public async Task DefinerFunctionTheApiMayCallIsReportedWhenThisMigrationRecreatesIt()
    {
        const string definer = "create or replace function public.item_count() returns bigint language sql stable security definer " +
                               "set search_path = pg_catalog, pg_temp as $$ select count(*) from public.items $$;\n";
        var report = await LintHarness.LintProjectAsync(
        [
            ("20260101000000", "definer", Items + definer, null),
            ("20260101000100", "recreate", "comment on table public.items is 'items';\n" + definer, null),
        ], "[lint]\nrequire_rollbacks = false\n", options: new LintOptions { Applied = new HashSet<string> { "20260101000000" } });
        var finding = Assert.Single(report.Findings, f => f.Rule.Id == "MS021");
        Assert.Equal(2, finding.Line);
        Assert.Contains("re-creates it", finding.Message);
    }
}
