using System.CommandLine;
using System.Text.Json;
using MentorStatus.Cli.Commands;
using MentorStatus.Cli.Output;
using MentorStatus.Tests.Infrastructure;

namespace MentorStatus.Tests.Cli;

/// <summary>The conventions every verb keeps: help with examples, --json documents, exit codes that tell usage from failure from bugs.</summary>
public sealed class CliConventionTests
{
    private static string Root => TestDatabases.Project.Root;

    /// <summary>Every command path of the tree, e.g. "db repair", "notifications dispatch".</summary>
    private static IEnumerable<string> CommandPaths(Command command, string prefix = "")
    {
        foreach (var sub in command.Subcommands)
        {
            var path = (prefix + " " + sub.Name).Trim();
            yield return path;
            foreach (var deeper in CommandPaths(sub, path)) yield return deeper;
        }
    }

    [Fact]
    public async Task EveryVerbsHelpShowsExamplesOfThatVerb()
    {
        var paths = CommandPaths(CliCommands.Build()).ToList();
        Assert.Contains("db repair", paths);
        Assert.Contains("notifications dispatch", paths);
        using var gate = new SemaphoreSlim(4);
        var results = await Task.WhenAll(paths.Select(async path =>
        {
            await gate.WaitAsync();
            try { return (path, help: await CliRunner.RunAsync(Root, [.. path.Split(' '), "--help"])); }
            finally { gate.Release(); }
        }));
        Assert.All(results, r =>
        {
            Assert.True(r.help.ExitCode == 0, $"{r.path} --help: exit {r.help.ExitCode}\n{r.help.Stderr}");
            Assert.True(r.help.Stdout.Contains("Examples:", StringComparison.Ordinal), $"{r.path} --help has no examples:\n{r.help.Stdout}");
            Assert.True(r.help.Stdout.Contains($"mentorstatus {r.path}", StringComparison.Ordinal), $"{r.path} --help has no example of itself:\n{r.help.Stdout}");
        });
        var root = await CliRunner.RunAsync(Root, "--help");
        Assert.Contains("70 internal error", root.Stdout);
    }

    [Fact]
    public async Task RepairWithJsonPrintsADocumentAndChangesTheJournal()
    {
        var target = await TestDatabases.MigratedAsync("cli_repair_json");
        var version = Path.GetFileName(Directory.GetFiles(TestDatabases.Project.MigrationsDirectory, "*.sql").Order().Last())[..14];

        // As db down and db reset: a database given by URL is only touched with --yes (exit 2, nothing changed, the fix named).
        foreach (var status in new[] { "reverted", "applied" })
        {
            var refused = await CliRunner.RunAsync(Root, "db", "repair", version, "--status", status, "--db-url", target.Url, "--json");
            Assert.Equal(2, refused.ExitCode);
            Assert.Contains("rerun with --yes", refused.Stderr);
            Assert.Contains("Nothing was changed", refused.Stderr);
            Assert.True(await IsAppliedAsync(target, version));
        }

        var reverted = await CliRunner.RunAsync(Root, "db", "repair", version, "--status", "reverted", "--db-url", target.Url, "--yes", "--json");
        Assert.True(reverted.ExitCode == 0, reverted.Stderr);
        using (var json = JsonDocument.Parse(reverted.Stdout))
        {
            Assert.Equal(version, json.RootElement.GetProperty("version").GetString());
            Assert.Equal("reverted", json.RootElement.GetProperty("status").GetString());
        }
        Assert.False(await IsAppliedAsync(target, version));

        var applied = await CliRunner.RunAsync(Root, "db", "repair", version, "--status", "applied", "--db-url", target.Url, "-y", "--json");
        Assert.True(applied.ExitCode == 0, applied.Stderr);
        using (var json = JsonDocument.Parse(applied.Stdout))
            Assert.Equal("applied", json.RootElement.GetProperty("status").GetString());
        Assert.True(await IsAppliedAsync(target, version));
    }

    private static async Task<bool> IsAppliedAsync(MentorStatus.Database.DatabaseTarget target, string version)
    {
        var status = await CliRunner.RunAsync(Root, "db", "status", "--db-url", target.Url, "--json");
        using var json = JsonDocument.Parse(status.Stdout);
        return json.RootElement.GetProperty("migrations").EnumerateArray()
            .Single(m => m.GetProperty("version").GetString() == version).GetProperty("is_applied").GetBoolean();
    }

    [Theory]
    [InlineData("job", "certification-expiry", "--as-of", "yesterday")]
    [InlineData("job", "certification-expiry", "--as-of", "2099-01-01T00:00:00Z")]
    [InlineData("job", "certification-expiry", "--batch-size", "0")]
    [InlineData("mentor", "timeline", "not-a-uuid")]
    [InlineData("mentor", "timeline", "00000000-0000-4000-a004-000000000003", "--limit", "0")]
    [InlineData("db", "status", "--db-url", "postgresql://")]
    public async Task BadInputIsAUsageError(params string[] args)
    {
        // A database nobody listens on: the input must be refused before any connection is tried.
        string[] all = args.Contains("--db-url") ? args : [.. args, "--db-url", "postgresql://postgres:x@127.0.0.1:1/postgres"];
        var result = await CliRunner.RunAsync(Root, all);
        Assert.True(result.ExitCode == 2, $"exit {result.ExitCode}\n{result.Stderr}");
        Assert.Contains("error:", result.Stderr);
        Assert.DoesNotContain("internal error", result.Stderr);
    }

    private static async Task<(int Exit, string Stdout, string Stderr)> RunActionAsync(Exception thrown, params string[] args)
    {
        var root = new RootCommand();
        foreach (var option in GlobalOptions.All) root.Options.Add(option);
        var parse = root.Parse(args);
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var output = new CommandOutput(parse.GetValue(GlobalOptions.Json), parse.GetValue(GlobalOptions.Verbose), stdout, stderr, stdoutIsTerminal: false, stderrIsTerminal: false);
        var exit = await CommandAction.RunAsync(parse, output, (_, _, _) => ThrowFromOurCode(thrown), CancellationToken.None);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    private static Task<int> ThrowFromOurCode(Exception e) => throw e;

    [Theory]
    [InlineData(typeof(ArgumentException))]
    [InlineData(typeof(InvalidOperationException))]
    [InlineData(typeof(NullReferenceException))]
    [InlineData(typeof(KeyNotFoundException))]
    public async Task AProgrammingErrorIsAnInternalErrorNotAUsageError(Type type)
    {
        var (exit, stdout, stderr) = await RunActionAsync((Exception)Activator.CreateInstance(type, "a rule of our own code was broken")!);
        Assert.Equal(CommandAction.Internal, exit);
        Assert.Equal("", stdout);
        Assert.Contains($"internal error: {type.FullName}: a rule of our own code was broken", stderr);
        Assert.Contains("--verbose", stderr);
        Assert.DoesNotContain(nameof(ThrowFromOurCode), stderr); // the stack trace only with --verbose

        var (verboseExit, _, verbose) = await RunActionAsync((Exception)Activator.CreateInstance(type, "a rule of our own code was broken")!, "--verbose");
        Assert.Equal(CommandAction.Internal, verboseExit);
        Assert.Contains(nameof(ThrowFromOurCode), verbose);
    }

    [Fact]
    public async Task UsageAndFailureKeepTheirCodesAndNoStackTrace()
    {
        var (usage, _, usageErr) = await RunActionAsync(new UsageException("--limit must be at least 1."), "--verbose");
        Assert.Equal(CommandAction.Usage, usage);
        Assert.Contains("--limit must be at least 1.", usageErr);
        Assert.DoesNotContain(nameof(ThrowFromOurCode), usageErr);

        var (failed, _, failedErr) = await RunActionAsync(new MentorStatus.Database.Migrations.MigrationException("20261101000000_x.sql failed"));
        Assert.Equal(CommandAction.Failed, failed);
        Assert.Contains("20261101000000_x.sql failed", failedErr);
        Assert.DoesNotContain("internal error", failedErr);
    }
}
