using System.Diagnostics;
using System.Text.Json;
using MentorStatus.Tooling.Local;
using MentorStatus.Tests.Infrastructure;

namespace MentorStatus.Tests.Cli;

/// <summary>What a user meets first: a short parse error, the port a verb would really use, exit 2 outside a project,
/// `db status --db-url` from any folder, and `./ms` that builds only when a source changed.</summary>
public sealed class CliFirstUseTests
{
    private static string Root => TestDatabases.Project.Root;

    [Theory]
    [InlineData(new[] { "db", "reset", "--bogus" }, "--bogus", "mentorstatus db reset --help")]
    [InlineData(new[] { "db", "lint", "--format", "yaml" }, "yaml", "mentorstatus db lint --help")]
    [InlineData(new[] { "dbx" }, "dbx", "mentorstatus --help")]
    public async Task AParseErrorIsShortOnStderrWithAHint_Exit2_NothingOnStdout(string[] args, string named, string hint)
    {
        var result = await CliRunner.RunAsync(Root, args);
        Assert.Equal(2, result.ExitCode);
        Assert.Equal("", result.Stdout);
        var lines = result.Stderr.TrimEnd('\n').Split('\n');
        Assert.InRange(lines.Length, 2, 3); // one or two errors, then the hint
        Assert.StartsWith("error: ", lines[0], StringComparison.Ordinal);
        Assert.Contains(named, result.Stderr, StringComparison.Ordinal);
        Assert.Equal($"see '{hint}'", lines[^1]);
    }

    [Fact]
    public async Task AnErrorPipedOrUnderJsonIsOneLine_NotWrappedAt160Columns()
    {
        var longMode = new string('x', 200); // the error repeats it: far longer than 160 columns
        foreach (var json in new[] { false, true })
        {
            string[] args = ["db", "status", "--db-url", $"postgresql://postgres:x@127.0.0.1:5432/postgres?sslmode={longMode}", .. (json ? new[] { "--json" } : [])];
            var result = await CliRunner.RunAsync(Root, args);
            Assert.Equal(2, result.ExitCode);
            var error = Assert.Single(result.Stderr.TrimEnd('\n').Split('\n'));
            Assert.StartsWith("error: ", error, StringComparison.Ordinal);
            Assert.True(error.Length > 160, error);
        }
    }

    [Fact]
    public async Task HelpShowsThePortTheProjectsClusterRemembers()
    {
        using var project = new TempProject();
        var fresh = await CliRunner.RunAsync(project.Layout.Root, "db", "start", "--help");
        Assert.Contains($"[default: {LocalClusterOptions.DefaultPort}]", fresh.Stdout, StringComparison.Ordinal);

        // The state file a started cluster writes (LocalCluster.WriteState): the port it last started on.
        var state = LocalCluster.ProjectDirectory(project.Layout)!;
        Directory.CreateDirectory(state);
        await File.WriteAllTextAsync(Path.Combine(state, "cluster.json"), """{"Port":54987}""");
        try
        {
            var help = await CliRunner.RunAsync(project.Layout.Root, "db", "reset", "--help");
            Assert.Equal(0, help.ExitCode);
            Assert.Contains("[default: 54987]", help.Stdout, StringComparison.Ordinal);
            Assert.DoesNotContain($"[default: {LocalClusterOptions.DefaultPort}]", help.Stdout, StringComparison.Ordinal);
        }
        finally
        {
            if (!state.StartsWith(project.Layout.Root, StringComparison.Ordinal)) Directory.Delete(state, recursive: true);
        }
    }

    [Fact]
    public async Task OutsideAProjectAVerbThatNeedsOneIsAUsageError_Exit2()
    {
        var empty = Directory.CreateTempSubdirectory("mentorstatus-noproject-");
        try
        {
            var result = await CliRunner.RunAsync(empty.FullName, "db", "status");
            Assert.Equal(2, result.ExitCode);
            Assert.Contains("no supabase/config.toml", result.Stderr, StringComparison.Ordinal);
            Assert.Contains("--workdir", result.Stderr, StringComparison.Ordinal);
            Assert.Empty(empty.EnumerateFileSystemInfos()); // nothing created there (no cluster, no .mentorstatus)
        }
        finally
        {
            empty.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task DbStatusWithADatabaseUrlWorksFromAFolderWithoutAProject()
    {
        var target = await TestDatabases.MigratedAsync("cli_status_noproject");
        var empty = Directory.CreateTempSubdirectory("mentorstatus-noproject-");
        try
        {
            var result = await CliRunner.RunAsync(empty.FullName, "db", "status", "--db-url", target.Url, "--json");
            Assert.True(result.ExitCode == 0, result.Stderr);
            Assert.Contains("built into this mentorstatus", result.Stderr, StringComparison.Ordinal);
            using var json = JsonDocument.Parse(result.Stdout);
            var migrations = json.RootElement.GetProperty("migrations").EnumerateArray().ToList();
            Assert.Equal(Directory.GetFiles(TestDatabases.Project.MigrationsDirectory, "*.sql").Length, migrations.Count);
            Assert.All(migrations, m => Assert.True(m.GetProperty("is_applied").GetBoolean() && !m.GetProperty("is_drifted").GetBoolean()));
            Assert.Empty(empty.EnumerateFileSystemInfos());
        }
        finally
        {
            empty.Delete(recursive: true);
        }
    }

    /// <summary>
    /// ./ms on a copy of itself beside a small real console project in the same layout (src/MentorStatus.Cli, program
    /// mentorstatus): the first call builds, the second with nothing changed runs the last build without building (the
    /// stamp), a changed source builds again. MS_TRACE makes the script say which it did.
    /// </summary>
    [Fact]
    public async Task MsBuildsOnlyWhenASourceChanged()
    {
        var checkout = Directory.CreateTempSubdirectory("mentorstatus-ms-");
        try
        {
            File.Copy(Path.Combine(Root, "ms"), Path.Combine(checkout.FullName, "ms"));
            var cli = Directory.CreateDirectory(Path.Combine(checkout.FullName, "src", "MentorStatus.Cli")).FullName;
            await File.WriteAllTextAsync(Path.Combine(cli, "MentorStatus.Cli.csproj"), """
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup><OutputType>Exe</OutputType><TargetFramework>net10.0</TargetFramework><AssemblyName>mentorstatus</AssemblyName></PropertyGroup>
                </Project>
                """);
            var program = Path.Combine(cli, "Program.cs");
            await File.WriteAllTextAsync(program, "System.Console.WriteLine(\"first \" + string.Join(' ', args));\n");
            var dll = Path.Combine(cli, "bin", "Release", "net10.0", "mentorstatus.dll");

            var first = await RunMsAsync(checkout.FullName, "a", "b");
            Assert.True(first.ExitCode == 0, first.Stderr);
            Assert.Equal("first a b\n", first.Stdout);
            Assert.Contains("ms: building", first.Stderr, StringComparison.Ordinal);
            var built = File.GetLastWriteTimeUtc(dll);

            var second = await RunMsAsync(checkout.FullName, "c");
            Assert.True(second.ExitCode == 0, second.Stderr);
            Assert.Equal("first c\n", second.Stdout);
            Assert.Contains("ms: up to date, no build", second.Stderr, StringComparison.Ordinal);
            Assert.DoesNotContain("ms: building", second.Stderr, StringComparison.Ordinal);
            Assert.Equal(built, File.GetLastWriteTimeUtc(dll));

            await File.WriteAllTextAsync(program, "System.Console.WriteLine(\"second \" + string.Join(' ', args));\n");
            var third = await RunMsAsync(checkout.FullName, "d");
            Assert.True(third.ExitCode == 0, third.Stderr);
            Assert.Contains("ms: building", third.Stderr, StringComparison.Ordinal);
            Assert.Equal("second d\n", third.Stdout);
        }
        finally
        {
            checkout.Delete(recursive: true);
        }
    }

    private static async Task<CliRunner.Result> RunMsAsync(string checkout, params string[] args)
    {
        var info = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = checkout };
        info.ArgumentList.Add(Path.Combine(checkout, "ms"));
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment["MS_TRACE"] = "1";
        info.Environment.Remove("MS_REBUILD");
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return new CliRunner.Result(process.ExitCode, await stdout, await stderr);
    }
}
