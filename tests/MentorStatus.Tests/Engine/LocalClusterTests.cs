using System.Net;
using System.Net.Sockets;
using MentorStatus.Database.Local;
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
}
