using System.CommandLine;
using System.Text.Json;
using System.Text.RegularExpressions;
using MentorStatus.Cli.Commands;
using MentorStatus.Tests.Infrastructure;
using Npgsql;

namespace MentorStatus.Tests.Cli;

/// <summary>
/// Credentials stay out of process lists: no help text shows a password on a command line, the CLI warns (once, on
/// stderr) when one arrives there and names the environment variable to use instead, and a wrong password is answered
/// with the role, the server and what to check (exit 1), not a bare 28P01.
/// </summary>
public sealed class CredentialTests
{
    private static string Root => TestDatabases.Project.Root;

    /// <summary>A URL or connection string with a password in it, or a secret-looking variable expanded into an option.</summary>
    private static readonly Regex PasswordOnTheCommandLine = new(
        @"://[^\s/@:""']+:[^\s/@""']+@|Password=|--(db-url|from)[ =]""?\$|--set\s+\S*(Password|Secret)=", RegexOptions.IgnoreCase);

    private static IEnumerable<string[]> CommandPaths(Command command, string[] prefix)
    {
        foreach (var sub in command.Subcommands)
        {
            string[] path = [.. prefix, sub.Name];
            yield return path;
            foreach (var deeper in CommandPaths(sub, path)) yield return deeper;
        }
    }

    [Fact]
    public void NoHelpShowsAPasswordOnTheCommandLine()
    {
        var paths = CommandPaths(CliCommands.Build(), []).Prepend([]).ToList();
        Assert.True(paths.Count > 15, $"{paths.Count} verbs");
        foreach (var path in paths)
        {
            var output = new StringWriter();
            var exit = CliCommands.Build().Parse([.. path, "--help"]).Invoke(new InvocationConfiguration { Output = output, Error = output });
            var help = output.ToString();
            Assert.True(exit == 0 && help.Contains("Usage:", StringComparison.Ordinal), $"{string.Join(' ', path)} --help: {help}");
            var match = PasswordOnTheCommandLine.Match(help);
            Assert.False(match.Success, $"`mentorstatus {string.Join(' ', path)} --help` shows a password on the command line ({match.Value}):\n{help}");
        }
        // the root help says where passwords go
        var rootHelp = new StringWriter();
        CliCommands.Build().Parse(["--help"]).Invoke(new InvocationConfiguration { Output = rootHelp });
        Assert.Contains("MENTORSTATUS_DB_URL", rootHelp.ToString());
        Assert.Contains("MENTORSTATUS_REHEARSE_FROM", rootHelp.ToString());
    }

    [Fact]
    public async Task APasswordOnTheCommandLineIsWarnedOnceNamingTheVariableToUse()
    {
        var target = await TestDatabases.MigratedAsync("cli_password_warning");
        const string warning = "a password on the command line can be read by every user of this machine";

        // a URL with a password in --db-url: one warning on stderr naming MENTORSTATUS_DB_URL; --json's stdout stays a document
        var onCommandLine = await CliRunner.RunAsync(Root, "db", "status", "--db-url", target.Url, "--json");
        Assert.True(onCommandLine.ExitCode == 0, onCommandLine.Stderr);
        using (JsonDocument.Parse(onCommandLine.Stdout)) { }
        Assert.Equal(1, Count(Flat(onCommandLine.Stderr), warning));
        Assert.Contains("--db-url carries a password: put the URL in MENTORSTATUS_DB_URL instead", Flat(onCommandLine.Stderr));
        Assert.DoesNotContain(warning, onCommandLine.Stdout);

        // an Npgsql connection string with a password too, and several secrets at once: still one warning
        var connectionString = new NpgsqlConnectionStringBuilder(target.ConnectionString).ConnectionString;
        var several = await CliRunner.RunAsync(Root, "notifications", "dispatch", "--db-url", connectionString, "--channel", "no-such-channel",
            "--set", "MentorStatus:Notifications:Smtp:Password=hunter2", "--set", "MentorStatus:Notifications:Webhook:Secret=whsec_abc");
        Assert.Equal(1, Count(Flat(several.Stderr), warning));
        Assert.Contains("MENTORSTATUS_DB_URL", several.Stderr);
        Assert.Contains("set MENTORSTATUS__NOTIFICATIONS__SMTP__PASSWORD instead", Flat(several.Stderr));
        Assert.Contains("set MENTORSTATUS__NOTIFICATIONS__WEBHOOK__SECRET instead", Flat(several.Stderr));
        Assert.DoesNotContain("hunter2", several.Stderr + several.Stdout);

        // db rehearse --from: names MENTORSTATUS_REHEARSE_FROM (warned before the usage error is found)
        var rehearse = await CliRunner.RunAsync(Root, "db", "rehearse", "--from", target.Url, "--sample", "10", "--tables", "public.peer_mentors");
        Assert.Equal(2, rehearse.ExitCode);
        Assert.Equal(1, Count(Flat(rehearse.Stderr), warning));
        Assert.Contains("--from carries a password: put the URL in MENTORSTATUS_REHEARSE_FROM instead", Flat(rehearse.Stderr));

        // the ways that keep it out of ps: no warning, and they connect
        var fromEnvironment = await CliRunner.RunAsync(Root, new Dictionary<string, string> { ["MENTORSTATUS_DB_URL"] = target.Url }, "db", "status", "--json");
        Assert.True(fromEnvironment.ExitCode == 0, fromEnvironment.Stderr);
        Assert.DoesNotContain(warning, Flat(fromEnvironment.Stderr));
        var passFile = Path.Combine(Directory.CreateTempSubdirectory("mentorstatus-passfile-").FullName, "pgpass");
        try
        {
            var password = (await TestCluster.GetAsync()).Password;
            File.WriteAllText(passFile, $"127.0.0.1:*:*:postgres:{password}\n");
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(passFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            var withPassFile = await CliRunner.RunAsync(Root, new Dictionary<string, string> { ["PGPASSFILE"] = passFile },
                "db", "status", "--db-url", target.UrlWithoutPassword, "--json");
            Assert.True(withPassFile.ExitCode == 0, withPassFile.Stderr);
            Assert.DoesNotContain(warning, Flat(withPassFile.Stderr));
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(passFile)!, recursive: true);
        }
    }

    [Fact]
    public async Task AWrongPasswordNamesTheRoleTheServerAndWhatToCheck()
    {
        var target = await TestDatabases.MigratedAsync("cli_wrong_password");
        var wrong = new NpgsqlConnectionStringBuilder(target.ConnectionString) { Password = "not-the-password" };
        var url = $"postgresql://postgres:not-the-password@127.0.0.1:{wrong.Port}/{wrong.Database}";

        var status = await CliRunner.RunAsync(Root, new Dictionary<string, string> { ["MENTORSTATUS_DB_URL"] = url }, "db", "status");
        Assert.Equal(1, status.ExitCode);
        Assert.Contains($"password authentication failed for role \"postgres\" at 127.0.0.1:{wrong.Port}", Flat(status.Stderr));
        Assert.Contains("check the user and password in MENTORSTATUS_DB_URL", Flat(status.Stderr));
        Assert.DoesNotContain("not-the-password", status.Stderr);
        Assert.DoesNotContain("internal error", status.Stderr);

        using var project = new TempProject();
        var rehearse = await CliRunner.RunAsync(project.Layout.Root, new Dictionary<string, string> { ["MENTORSTATUS_REHEARSE_FROM"] = url }, "db", "rehearse");
        Assert.Equal(1, rehearse.ExitCode);
        Assert.Contains($"password authentication failed for role \"postgres\" at 127.0.0.1:{wrong.Port}", Flat(rehearse.Stderr));
        Assert.Contains("check the user and password in MENTORSTATUS_REHEARSE_FROM", Flat(rehearse.Stderr));
        Assert.DoesNotContain("not-the-password", rehearse.Stderr);
    }

    private static int Count(string text, string what) => Regex.Count(text, Regex.Escape(what));

    /// <summary>Console output wraps long lines: compare text with its whitespace collapsed.</summary>
    private static string Flat(string text) => Regex.Replace(text, @"\s+", " ");
}
