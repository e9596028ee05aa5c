using System.Text.Json;
using MentorStatus.Tests.Infrastructure;

namespace MentorStatus.Tests.Cli;

/// <summary>The job, notifications and mentor verbs end to end on a seeded database.</summary>
public sealed class MentorCommandTests
{
    private static string Root => TestDatabases.Project.Root;
    private const string Alva = "00000000-0000-4000-a004-000000000001";
    private const string AlvaUser = "00000000-0000-4000-a003-000000000011";
    private const string Bo = "00000000-0000-4000-a004-000000000002";

    [Fact]
    public async Task DryRunListsTheExpiredThenTheJobPausesThemAndDispatchTellsTheCoordinators()
    {
        var target = await TestDatabases.SeededAsync("cli_job");
        var dry = await CliRunner.RunAsync(Root, "job", "certification-expiry", "--dry-run", "--json", "--db-url", target.Url);
        Assert.True(dry.ExitCode == 0, dry.Stderr);
        using var dryJson = JsonDocument.Parse(dry.Stdout);
        var wouldPause = dryJson.RootElement.GetProperty("mentors").GetArrayLength();
        Assert.Equal(3, wouldPause); // Bo, Dara, Gus have expired certifications in the seed

        var run = await CliRunner.RunAsync(Root, "job", "certification-expiry", "--batch-size", "2", "--json", "--db-url", target.Url);
        Assert.True(run.ExitCode == 0, run.Stderr);
        using var runJson = JsonDocument.Parse(run.Stdout);
        Assert.Equal(3, runJson.RootElement.GetProperty("mentors_paused").GetInt32());

        var again = await CliRunner.RunAsync(Root, "job", "certification-expiry", "--json", "--db-url", target.Url);
        using var againJson = JsonDocument.Parse(again.Stdout);
        Assert.Equal(0, againJson.RootElement.GetProperty("mentors_paused").GetInt32());

        var dispatch = await CliRunner.RunAsync(Root, "notifications", "dispatch", "--channel", "inbox", "--db-url", target.Url);
        Assert.True(dispatch.ExitCode == 0, dispatch.Stderr);
        Assert.Contains("3 sent", dispatch.Stdout + dispatch.Stderr);
    }

    [Fact]
    public async Task AMentorPausesThemselfAndTheTimelineShowsItNewestFirst()
    {
        var target = await TestDatabases.SeededAsync("cli_mentor");
        var change = await CliRunner.RunAsync(Root, "mentor", "status", Alva, "paused", "--reason", "self_pause", "--as-user", AlvaUser, "--db-url", target.Url);
        Assert.True(change.ExitCode == 0, change.Stderr);
        Assert.Contains("active → paused", change.Stdout);

        var timeline = await CliRunner.RunAsync(Root, "mentor", "timeline", Alva, "--json", "--db-url", target.Url);
        using var json = JsonDocument.Parse(timeline.Stdout);
        var items = json.RootElement.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(["self_pause", "initial_status"], items.Select(i => i.GetProperty("reason").GetString()));
        Assert.Equal(AlvaUser, items[0].GetProperty("changed_by").GetString());
    }

    [Fact]
    public async Task ARefusedChangeIsOneClearLineAndExitCodeOne()
    {
        var target = await TestDatabases.SeededAsync("cli_refused");
        // Alva's user may not touch Bo's status, and must not learn whether Bo exists.
        var result = await CliRunner.RunAsync(Root, new Dictionary<string, string> { ["MENTORSTATUS_DB_URL"] = target.Url },
            "mentor", "status", Bo, "paused", "--reason", "self_pause", "--as-user", AlvaUser);
        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("error:", result.Stderr.Trim());
        Assert.DoesNotContain("   at ", result.Stderr);
        await using var data = target.CreateDataSource();
        Assert.Equal(1L, await data.ScalarAsync<long>("select count(*) from peer_mentor_status_history where mentor_id = $1::uuid", Bo));
    }

    private const string Cai = "00000000-0000-4000-a004-000000000003";
    private const string CaiUser = "00000000-0000-4000-a003-000000000013";
    private const string Rami = "00000000-0000-4000-a003-000000000002";

    [Fact]
    public async Task AMentorACoordinatorPausedCannotResume_TheRefusalSaysWhoMay_AndAllowedListsIt()
    {
        var target = await TestDatabases.SeededAsync("cli_rules");
        // Cai paused themself in the seed: Rami (coordinator of Riverside) resumes, then pauses Cai himself
        foreach (var (status, reason) in new[] { ("active", "coordinator_resume"), ("paused", "coordinator_manual_pause") })
        {
            var step = await CliRunner.RunAsync(Root, "mentor", "status", Cai, status, "--reason", reason, "--as-user", Rami, "--db-url", target.Url);
            Assert.True(step.ExitCode == 0, step.Stderr);
        }

        var refused = await CliRunner.RunAsync(Root, "mentor", "status", Cai, "active", "--reason", "self_resume", "--as-user", CaiUser, "--db-url", target.Url);
        Assert.Equal(1, refused.ExitCode);
        var error = string.Join(' ', refused.Stderr.Split((char[])[' ', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries)); // the console wraps long lines
        Assert.Contains("paused by coordinator_manual_pause", error);
        Assert.Contains("a coordinator of one of the mentor's chapters (coordinator_resume)", error);

        var mine = await CliRunner.RunAsync(Root, "mentor", "allowed", Cai, "--as-user", CaiUser, "--json", "--db-url", target.Url);
        Assert.True(mine.ExitCode == 0, mine.Stderr);
        using (var json = JsonDocument.Parse(mine.Stdout)) Assert.Equal(0, json.RootElement.GetArrayLength());
        var his = await CliRunner.RunAsync(Root, "mentor", "allowed", Cai, "--as-user", Rami, "--json", "--db-url", target.Url);
        using (var json = JsonDocument.Parse(his.Stdout))
            Assert.Equal(["coordinator_deactivate", "coordinator_resume"],
                json.RootElement.EnumerateArray().Select(a => a.GetProperty("reason_code").GetString()));

        var usage = await CliRunner.RunAsync(Root, "mentor", "allowed", Cai, "--db-url", target.Url);
        Assert.Equal(2, usage.ExitCode);
        Assert.Contains("--as-user is required", usage.Stderr);
    }
}
