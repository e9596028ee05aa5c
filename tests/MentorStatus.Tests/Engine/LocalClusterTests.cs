using System.Net;
using System.Net.Sockets;
using MentorStatus.Tooling.Local;
using MentorStatus.Tests.Infrastructure;

namespace MentorStatus.Tests.Engine;

/// <summary>The local cluster's own failure modes get a message with a fix (the happy path runs under every other test).</summary>
public sealed class LocalClusterTests
{
    [Fact]
    public async Task ABusyPortIsNamedWithAFix()
    {
        var shared = await TestCluster.GetAsync();
        var dir = Path.Combine(Path.GetTempPath(), "mentorstatus-busyport-" + Guid.NewGuid().ToString("N")[..8]);
        var cluster = await LocalCluster.AtAsync(dir, new LocalClusterOptions { Port = shared.Port });
        try
        {
            var error = await Assert.ThrowsAsync<LocalDatabaseException>(() => cluster.StartAsync());
            Assert.Contains($"port {shared.Port}", error.Message);
            Assert.Contains("--port", error.Message);
        }
        finally
        {
            await cluster.DestroyAsync();
        }
    }

    [Fact]
    public async Task AStalePidFileIsNamedWithAFixAndStartWorksOnceItIsGone()
    {
        var dir = Path.Combine(Path.GetTempPath(), "mentorstatus-stale-" + Guid.NewGuid().ToString("N")[..8]);
        var cluster = await LocalCluster.AtAsync(dir, new LocalClusterOptions { Port = TestCluster.FreePort() });
        try
        {
            await cluster.StartAsync();
            await cluster.StopAsync();
            // A server killed outright leaves its pid file; here it names a pid that is no PostgreSQL.
            var pidFile = Path.Combine(cluster.DataDirectory, "postmaster.pid");
            File.WriteAllText(pidFile, $"{Environment.ProcessId}\n{cluster.DataDirectory}\n");

            var error = await Assert.ThrowsAsync<LocalDatabaseException>(() => cluster.StartAsync());
            Assert.Contains("stale", error.Message);
            Assert.Contains($"delete {pidFile}", error.Message);

            File.Delete(pidFile);
            Assert.True(await cluster.StartAsync());
            Assert.True(await cluster.IsRunningAsync());
        }
        finally
        {
            await cluster.DestroyAsync();
        }
    }

    [Fact]
    public async Task StartIsIdempotentAndStopReportsWhetherItRan()
    {
        var shared = await TestCluster.GetAsync();
        Assert.False(await shared.StartAsync()); // already running: nothing to do
        var dir = Path.Combine(Path.GetTempPath(), "mentorstatus-idem-" + Guid.NewGuid().ToString("N")[..8]);
        var cluster = await LocalCluster.AtAsync(dir, new LocalClusterOptions { Port = TestCluster.FreePort() });
        try
        {
            Assert.False(await cluster.StopAsync());
            Assert.True(await cluster.StartAsync());
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, cluster.Port);
            Assert.True(await cluster.StopAsync());
        }
        finally
        {
            await cluster.DestroyAsync();
        }
    }
    /// <summary>
    /// A folder deep enough that the socket's path passes the kernel's 107 bytes (a deep checkout, a long TMPDIR, the
    /// rehearsal's nested cluster folder): the server used to refuse to start; now it serves on 127.0.0.1 without a socket.
    /// </summary>
    [Fact]
    public async Task AClusterTooDeepForAUnixSocketStartsOnLoopbackOnly()
    {
        var root = Path.Combine(Path.GetTempPath(), "mentorstatus-deep-" + Guid.NewGuid().ToString("N")[..8]);
        var dir = Path.Combine(root, new string('d', 60), new string('e', 40));
        var cluster = await LocalCluster.AtAsync(dir, new LocalClusterOptions { Port = TestCluster.FreePort() });
        try
        {
            Assert.False(cluster.HasUnixSocket);
            await cluster.StartAsync();
            await using (var source = cluster.Target().CreateDataSource())
            await using (var command = source.CreateCommand("select current_setting('unix_socket_directories')"))
                Assert.Equal("", await command.ExecuteScalarAsync());
            Assert.False(Directory.Exists(cluster.SocketDirectory) && Directory.EnumerateFileSystemEntries(cluster.SocketDirectory).Any());
            Assert.True(await cluster.StopAsync());
            Assert.True(await cluster.StartAsync()); // a second start reads the same (socket-less) settings
        }
        finally
        {
            Npgsql.NpgsqlConnection.ClearAllPools();
            await cluster.DestroyAsync();
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>A folder with a space and a quote in its name still gets its socket (the settings reach the server through a shell).</summary>
    [Fact]
    public async Task AFolderWithASpaceAndAQuoteKeepsItsSocket()
    {
        var dir = Path.Combine(Path.GetTempPath(), "ms sp'ace-" + Guid.NewGuid().ToString("N")[..8]);
        var cluster = await LocalCluster.AtAsync(dir, new LocalClusterOptions { Port = TestCluster.FreePort() });
        try
        {
            Assert.True(cluster.HasUnixSocket);
            await cluster.StartAsync();
            Assert.True(File.Exists(Path.Combine(cluster.SocketDirectory, $".s.PGSQL.{cluster.Port}")), "no socket in " + cluster.SocketDirectory);
            await using var source = cluster.Target().CreateDataSource();
            await using var command = source.CreateCommand("select 1");
            Assert.Equal(1, await command.ExecuteScalarAsync());
        }
        finally
        {
            Npgsql.NpgsqlConnection.ClearAllPools();
            await cluster.DestroyAsync();
        }
    }
    /// <summary>An explicit port equal to the default one used to be replaced by the port the cluster last ran on.</summary>
    [Fact]
    public async Task AnExplicitPortIsKeptEvenWhenItIsTheDefaultOne()
    {
        using var project = new TempProject();
        var port = TestCluster.FreePort();
        var first = await LocalCluster.ForProjectAsync(project.Layout, new LocalClusterOptions { Port = port });
        try
        {
            await first.StartAsync();
            await first.StopAsync();
            Assert.Equal(port, LocalCluster.RememberedPort(project.Layout));
            var asked = await LocalCluster.ForProjectAsync(project.Layout, new LocalClusterOptions { Port = LocalClusterOptions.DefaultPort });
            Assert.Equal(LocalClusterOptions.DefaultPort, asked.Port);
            Assert.Equal(port, (await LocalCluster.ForProjectAsync(project.Layout, new LocalClusterOptions { Port = port })).Port);
        }
        finally
        {
            await first.DestroyAsync();
        }
    }
}
