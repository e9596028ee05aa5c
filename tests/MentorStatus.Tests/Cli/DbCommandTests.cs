using System.Text.Json;
using MentorStatus.Tests.Infrastructure;

namespace MentorStatus.Tests.Cli;

/// <summary>The db verbs end to end through the real command line against a real database.</summary>
public sealed class DbCommandTests
{
    private static string Root => TestDatabases.Project.Root;

    [Fact]
    public async Task ResetOnADatabaseUrlAppliesEverythingAndPrintsWhatItDid()
    {
        var target = await TestDatabases.EmptyAsync("cli_reset");
        var result = await CliRunner.RunAsync(Root, "db", "reset", "--db-url", target.Url, "--yes", "--json");
        Assert.True(result.ExitCode == 0, result.Stderr);

        using var json = JsonDocument.Parse(result.Stdout);
        var applied = json.RootElement.GetProperty("applied").EnumerateArray().Select(e => e.GetProperty("version").GetString()!).ToList();
        var files = Directory.GetFiles(TestDatabases.Project.MigrationsDirectory, "*.sql").Select(f => Path.GetFileName(f)[..14]).Order().ToList();
        Assert.Equal(files, applied);
        Assert.Equal("seeded", json.RootElement.GetProperty("seed").GetProperty("action").GetString());

        var status = await CliRunner.RunAsync(Root, "db", "status", "--db-url", target.Url, "--json");
        Assert.Equal(0, status.ExitCode);
        using var statusJson = JsonDocument.Parse(status.Stdout);
        Assert.All(statusJson.RootElement.GetProperty("migrations").EnumerateArray(),
            m => Assert.True(m.GetProperty("is_applied").GetBoolean() && !m.GetProperty("is_drifted").GetBoolean()));
    }

    [Fact]
    public async Task ResetOfADatabaseThatIsNotLocalNeedsYes()
    {
        var result = await CliRunner.RunAsync(Root, "db", "reset", "--db-url", "postgresql://postgres:x@db.example.invalid:5432/postgres");
        Assert.Equal(2, result.ExitCode); // refused before anything ran: exit 2, like a usage error
        Assert.Contains("not this project's local cluster", result.Stderr);
        Assert.Contains("--yes", result.Stderr);
    }

    [Fact]
    public async Task TestRunsEveryPgTapFileAndSummarises()
    {
        var target = await TestDatabases.MigratedAsync("cli_test");
        var result = await CliRunner.RunAsync(Root, "db", "test", "--db-url", target.Url, "--json");
        Assert.True(result.ExitCode == 0, result.Stdout + result.Stderr);
        using var json = JsonDocument.Parse(result.Stdout);
        Assert.Equal(Directory.GetFiles(TestDatabases.Project.TestsDirectory, "*.sql").Length, json.RootElement.GetArrayLength());
    }

    [Fact]
    public async Task AFailingPgTapAssertionFailsTheCommand()
    {
        using var project = TempProject.CopyOfRepository();
        Directory.CreateDirectory(project.Layout.TestsDirectory);
        File.WriteAllText(Path.Combine(project.Layout.TestsDirectory, "900_fails.sql"),
            "begin;\ncreate extension if not exists pgtap with schema extensions;\nset local search_path = public, extensions;\nselect plan(1);\nselect ok(false, 'meant to fail');\nselect * from finish();\nrollback;\n");
        var target = await TestDatabases.MigratedAsync("cli_test_fail");
        var result = await CliRunner.RunAsync(project.Layout.Root, "db", "test", "--db-url", target.Url);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("meant to fail", result.Stderr);
    }

    [Fact]
    public async Task UpDownAndNewWorkOnATemporaryProject()
    {
        using var project = new TempProject();
        var created = await CliRunner.RunAsync(project.Layout.Root, "db", "new", "add_notes", "--json");
        Assert.Equal(0, created.ExitCode);
        using var paths = JsonDocument.Parse(created.Stdout);
        var migration = Path.Combine(project.Layout.Root, paths.RootElement.GetProperty("migration").GetString()!);
        var rollback = Path.Combine(project.Layout.Root, paths.RootElement.GetProperty("rollback").GetString()!);
        Assert.Matches(@"supabase/migrations/\d{14}_add_notes\.sql$", migration);
        Assert.Equal(Path.GetFileName(migration), Path.GetFileName(rollback));
        File.AppendAllText(migration, "create table notes (body text);\n");
        File.AppendAllText(rollback, "drop table notes;\n");

        var target = await TestDatabases.PlatformAsync("cli_updown");
        Assert.Equal(0, (await CliRunner.RunAsync(project.Layout.Root, "db", "up", "--db-url", target.Url)).ExitCode);
        var down = await CliRunner.RunAsync(project.Layout.Root, "db", "down", "--last", "1", "--db-url", target.Url, "--yes");
        Assert.True(down.ExitCode == 0, down.Stderr);
        Assert.Contains("reverted", down.Stdout);
    }

    [Theory]
    [InlineData("add_notes\n")]   // a trailing newline: the engine's discovery would never find the file
    [InlineData("add_notes\r")]
    [InlineData("add\tnotes")]
    [InlineData("add_notes\u001b[2J")]
    public async Task NewRefusesANameWithAControlCharacter_ExitTwo_NoFile(string name)
    {
        using var project = new TempProject();
        var result = await CliRunner.RunAsync(project.Layout.Root, "db", "new", name);
        Assert.True(result.ExitCode == 2, result.Stdout + result.Stderr);
        Assert.Contains("control character", result.Stderr);
        Assert.Contains("lower-case letters, digits and underscores", result.Stderr);
        Assert.False(Directory.Exists(project.Layout.MigrationsDirectory) && Directory.EnumerateFileSystemEntries(project.Layout.MigrationsDirectory).Any(),
            "a migration file was created");
        Assert.False(Directory.Exists(project.Layout.RollbacksDirectory) && Directory.EnumerateFileSystemEntries(project.Layout.RollbacksDirectory).Any(),
            "a rollback file was created");
    }

    [Fact]
    public async Task AFailedMigrationPrintsFileLineAndSqlState()
    {
        using var project = new TempProject();
        project.AddMigration("20260101000001", "bad", "create table a (x int);\nselect nope from a;");
        var target = await TestDatabases.PlatformAsync("cli_fail");
        var result = await CliRunner.RunAsync(project.Layout.Root, "db", "up", "--db-url", target.Url);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("20260101000001_bad.sql:2: statement 2 failed with SQLSTATE 42703", result.Stderr.Replace("\n", " ").Replace("  ", " "));
        Assert.DoesNotContain("   at ", result.Stderr); // no stack trace
    }

    [Fact]
    public async Task SecurityPassesOnTheMigratedDatabaseAndNamesATableLeftOpen()
    {
        var target = await TestDatabases.MigratedAsync("cli_security");
        var clean = await CliRunner.RunAsync(Root, "db", "security", "--db-url", target.Url);
        Assert.True(clean.ExitCode == 0, clean.Stderr);

        await using (var data = target.CreateDataSource())
            await data.ExecuteAsync("create table public.left_open (id int)"); // Supabase default privileges, no RLS
        var open = await CliRunner.RunAsync(Root, "db", "security", "--db-url", target.Url, "--json");
        Assert.Equal(1, open.ExitCode);
        Assert.Contains("public.left_open", open.Stdout);
    }

    /// <summary>`--fail-on` (shared with `db lint`) picks the level that fails; without it WARN and ERROR fail.</summary>
    [Fact]
    public async Task SecurityFailOnChoosesTheLevelThatFailsAndTheDefaultStaysWarn()
    {
        var target = await TestDatabases.MigratedAsync("cli_security_fail_on");
        await using (var data = target.CreateDataSource())
            await data.ExecuteAsync("""
                create table public.backend_only (id int);
                alter table public.backend_only enable row level security;
                revoke all on table public.backend_only from anon, authenticated;
                """); // rls_enabled_no_policy: INFO
        var info = await CliRunner.RunAsync(Root, "db", "security", "--db-url", target.Url, "--json");
        Assert.True(info.ExitCode == 0, info.Stdout + info.Stderr);
        using (var json = JsonDocument.Parse(info.Stdout))
        {
            Assert.Equal("WARN", json.RootElement.GetProperty("fail_on").GetString());
            var finding = Assert.Single(json.RootElement.GetProperty("findings").EnumerateArray(),
                f => f.GetProperty("object").GetString() == "public.backend_only");
            Assert.Equal(("rls_enabled_no_policy", "INFO", false),
                (finding.GetProperty("rule").GetString(), finding.GetProperty("level").GetString(), finding.GetProperty("fails").GetBoolean()));
        }
        var onInfo = await CliRunner.RunAsync(Root, "db", "security", "--db-url", target.Url, "--fail-on", "info");
        Assert.Equal(1, onInfo.ExitCode);
        Assert.Contains("INFO rls_enabled_no_policy: table public.backend_only", onInfo.Stderr + onInfo.Stdout);

        await using (var data = target.CreateDataSource())
            await data.ExecuteAsync("create function public.loose() returns int language sql as 'select 1'"); // function_search_path_mutable: WARN
        Assert.Equal(1, (await CliRunner.RunAsync(Root, "db", "security", "--db-url", target.Url)).ExitCode);
        Assert.Equal(1, (await CliRunner.RunAsync(Root, "db", "security", "--db-url", target.Url, "--fail-on", "warning")).ExitCode);
        var onError = await CliRunner.RunAsync(Root, "db", "security", "--db-url", target.Url, "--fail-on", "error", "--json");
        Assert.True(onError.ExitCode == 0, onError.Stdout + onError.Stderr);
        using (var json = JsonDocument.Parse(onError.Stdout))
        {
            Assert.True(json.RootElement.GetProperty("ok").GetBoolean());
            var warn = Assert.Single(json.RootElement.GetProperty("findings").EnumerateArray(), f => f.GetProperty("rule").GetString() == "function_search_path_mutable"
                && f.GetProperty("object").GetString()!.StartsWith("public.loose", StringComparison.Ordinal));
            Assert.Equal(("WARN", false), (warn.GetProperty("level").GetString(), warn.GetProperty("fails").GetBoolean()));
        }

        var unknown = await CliRunner.RunAsync(Root, "db", "security", "--db-url", target.Url, "--fail-on", "warn");
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("--fail-on", unknown.Stderr);
    }

    [Fact]
    public async Task EveryVerbHasHelp()
    {
        foreach (var verb in new[] { "start", "stop", "reset", "up", "down", "status", "test", "new", "repair", "security", "lint" })
        {
            var help = await CliRunner.RunAsync(Root, "db", verb, "--help");
            Assert.Equal(0, help.ExitCode);
            Assert.Contains("Usage:", help.Stdout);
            Assert.Contains("--db-url", help.Stdout);
        }
    }
}
