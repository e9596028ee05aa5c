using System.Text.Json;
using MentorStatus.Tooling.Local;
using MentorStatus.Tests.Infrastructure;
using Npgsql;

namespace MentorStatus.Tests.Security;

/// <summary>
/// Every cluster the CLI starts is closed to the other OS users of the machine: no trust (socket or TCP), a random
/// password for throwaway clusters (tests, bench, rehearsal) kept in a 0600 passfile, folders 0700 and files 0600
/// owned by the server's user. Each attack runs as another OS user (runuser), as someone sharing the machine would.
/// </summary>
public sealed class ClusterAccessTests
{
    [Fact]
    public async Task AThrowawayClusterAdmitsNoOtherOsUserAndNoFixedPassword()
    {
        var directory = Path.Combine(Path.GetTempPath(), $"mentorstatus-closed-{Guid.NewGuid():N}"[..36]);
        var cluster = await LocalCluster.AtAsync(directory, new LocalClusterOptions { Port = TestCluster.FreePort() });
        try
        {
            await cluster.StartAsync();

            // its own random password, in its passfile, and what the tools connect with
            Assert.NotEqual(LocalCluster.DeveloperPassword, cluster.Password);
            Assert.Matches("^[0-9a-f]{32}$", cluster.Password);
            Assert.Equal(cluster.Password, LocalCluster.PasswordFromPassFile(cluster.PassFile));
            await using (var source = cluster.Target().CreateDataSource())
            await using (var command = source.CreateCommand("select 1"))
                Assert.Equal(1, await command.ExecuteScalarAsync());
            var withPassFile = await RunAsync("psql", ["-h", "127.0.0.1", "-p", $"{cluster.Port}", "-U", "postgres", "-w", "-Atc", "select 1"],
                new() { ["PGPASSFILE"] = cluster.PassFile });
            Assert.True(withPassFile.ExitCode == 0, "PGPASSFILE=passfile psql: " + withPassFile.Output);

            // no trust anywhere
            var hba = File.ReadLines(Path.Combine(cluster.DataDirectory, "pg_hba.conf")).Where(l => !l.TrimStart().StartsWith('#') && l.Trim().Length > 0).ToList();
            Assert.NotEmpty(hba);
            Assert.All(hba, l => Assert.EndsWith("scram-sha-256", l.TrimEnd()));

            // nothing in the folder is open to others, and all of it is the server user's
            Assert.Empty(OtherOsUser.OpenEntries(cluster.Directory));
            Assert.Equal("", await OtherOsUser.NotOwnedByAsync(cluster.Directory, "postgres"));

            // the attacks: another OS user on the socket and on TCP with the old fixed password, reading the passfile and
            // the state, listing the socket folder
            var port = cluster.Port;
            AssertRefused(await OtherOsUser.PsqlAsync("nobody", cluster.SocketDirectory, port), "socket as nobody");
            AssertRefused(await OtherOsUser.PsqlAsync("nobody", cluster.SocketDirectory, port, LocalCluster.DeveloperPassword), "socket as nobody, fixed password");
            AssertRefused(await OtherOsUser.PsqlAsync("nobody", "127.0.0.1", port, LocalCluster.DeveloperPassword), "TCP as nobody, fixed password");
            AssertRefused(await OtherOsUser.PsqlAsync("nobody", "127.0.0.1", port), "TCP as nobody, no password");
            AssertRefused(await OtherOsUser.RunAsync("nobody", "cat", [cluster.PassFile]), "reading the passfile");
            AssertRefused(await OtherOsUser.RunAsync("nobody", "cat", [Path.Combine(cluster.Directory, "cluster.json")]), "reading the state file");
            AssertRefused(await OtherOsUser.RunAsync("nobody", "ls", [cluster.SocketDirectory]), "listing the socket folder");
            AssertRefused(await OtherOsUser.RunAsync("nobody", "ls", [cluster.Directory]), "listing the cluster folder");
            // not even the server's own OS user gets in on the socket without the password (no trust, no peer)
            AssertRefused(await OtherOsUser.PsqlAsync("postgres", cluster.SocketDirectory, port), "socket as postgres, no password");
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await cluster.DestroyAsync();
        }
    }

    [Fact]
    public async Task TheDeveloperClusterKeepsPostgresPostgresOnLoopbackButItsSocketAndFolderAreClosed()
    {
        using var project = new TempProject();
        var port = TestCluster.FreePort();
        var start = await CliRunner.RunAsync(project.Layout.Root, "db", "start", "--port", $"{port}", "--json");
        try
        {
            Assert.True(start.ExitCode == 0, start.Stderr + start.Stdout);
            using var json = JsonDocument.Parse(start.Stdout);
            // Supabase's local convention, which users expect
            Assert.Equal($"postgresql://postgres:postgres@127.0.0.1:{port}/postgres", json.RootElement.GetProperty("url").GetString());
            var directory = json.RootElement.GetProperty("directory").GetString()!;
            var cluster = await LocalCluster.AtAsync(directory, new LocalClusterOptions { Port = port });
            Assert.Equal(LocalCluster.DeveloperPassword, cluster.Password);

            Assert.Empty(OtherOsUser.OpenEntries(directory));
            AssertRefused(await OtherOsUser.PsqlAsync("nobody", cluster.SocketDirectory, port), "socket as nobody");
            AssertRefused(await OtherOsUser.PsqlAsync("nobody", cluster.SocketDirectory, port, LocalCluster.DeveloperPassword), "socket as nobody, developer password");
            AssertRefused(await OtherOsUser.PsqlAsync("postgres", cluster.SocketDirectory, port), "socket as postgres, no password");
            AssertRefused(await OtherOsUser.RunAsync("nobody", "ls", [cluster.SocketDirectory]), "listing the socket folder");
            var tcp = await OtherOsUser.PsqlAsync("nobody", "127.0.0.1", port, LocalCluster.DeveloperPassword);
            Assert.True(tcp.Succeeded, "postgres:postgres on 127.0.0.1 (the documented convention): " + tcp.Output);
        }
        finally
        {
            var stop = await CliRunner.RunAsync(project.Layout.Root, "db", "stop", "--port", $"{port}");
            Assert.True(stop.ExitCode == 0, stop.Stderr);
        }
    }

    [Fact]
    public async Task AClusterMadeWithTrustByAnOlderVersionIsClosedWhenItStarts()
    {
        var directory = Path.Combine(Path.GetTempPath(), $"mentorstatus-older-{Guid.NewGuid():N}"[..35]);
        var cluster = await LocalCluster.AtAsync(directory, new LocalClusterOptions { Port = TestCluster.FreePort(), Password = LocalCluster.DeveloperPassword });
        try
        {
            if (OperatingSystem.IsWindows()) throw new PlatformNotSupportedException("Unix file modes");
            await cluster.StartAsync();
            await cluster.StopAsync();
            // what an older version left: trust on the socket, open folders, no passfile
            var hba = Path.Combine(cluster.DataDirectory, "pg_hba.conf");
            await File.WriteAllLinesAsync(hba, File.ReadLines(hba).Select(l => l.StartsWith("local", StringComparison.Ordinal) ? l.Replace("scram-sha-256", "trust") : l).ToList());
            File.SetUnixFileMode(cluster.Directory, (UnixFileMode)0b111_101_101);
            File.SetUnixFileMode(cluster.SocketDirectory, (UnixFileMode)0b111_101_101);
            File.Delete(cluster.PassFile);

            var reopened = await LocalCluster.AtAsync(directory, new LocalClusterOptions { Port = cluster.Port });
            Assert.Equal(LocalCluster.DeveloperPassword, reopened.Password);
            await reopened.StartAsync();
            Assert.DoesNotContain(File.ReadLines(hba), l => !l.TrimStart().StartsWith('#') && l.Contains("trust", StringComparison.Ordinal));
            Assert.Empty(OtherOsUser.OpenEntries(directory));
            AssertRefused(await OtherOsUser.PsqlAsync("nobody", reopened.SocketDirectory, reopened.Port), "socket as nobody");
            await using var source = reopened.Target().CreateDataSource();
            await using var command = source.CreateCommand("select 1");
            Assert.Equal(1, await command.ExecuteScalarAsync());
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await cluster.DestroyAsync();
        }
    }

    private static void AssertRefused(OtherOsUser.Result result, string attack) =>
        Assert.False(result.Succeeded, $"{attack} succeeded: {result.Output}");

    private static async Task<OtherOsUser.Result> RunAsync(string program, string[] arguments, Dictionary<string, string> environment)
    {
        var info = new System.Diagnostics.ProcessStartInfo(program, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        info.Environment.Remove("PGPASSWORD");
        foreach (var (k, v) in environment) info.Environment[k] = v;
        using var process = System.Diagnostics.Process.Start(info)!;
        var output = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return new OtherOsUser.Result(process.ExitCode, output.Trim());
    }
}
