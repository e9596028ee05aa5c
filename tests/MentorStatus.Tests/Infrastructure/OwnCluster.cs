using MentorStatus.Database;
using MentorStatus.Tooling.Local;
using MentorStatus.Database.Migrations;
using MentorStatus.Database.Platform;
using Npgsql;
using Xunit.Abstractions;

namespace MentorStatus.Tests.Infrastructure;

/// <summary>
/// A PostgreSQL 15 cluster of one test's own, for tests that stop, restart or crash the server (never the shared
/// <see cref="TestCluster"/>): a temp folder, a free port, fsync off. Start it in <c>InitializeAsync</c> and dispose
/// it in <c>DisposeAsync</c> (xunit makes a class instance per test, so each test gets a fresh cluster).
/// </summary>
public sealed class OwnCluster : IAsyncDisposable
{
    private readonly ITestOutputHelper _output;

    private OwnCluster(LocalCluster cluster, ITestOutputHelper output)
    {
        Cluster = cluster;
        _output = output;
    }

    public LocalCluster Cluster { get; }

    /// <summary>Creates and starts the cluster in a new temp folder named after <paramref name="purpose"/>.</summary>
    public static async Task<OwnCluster> StartAsync(string purpose, ITestOutputHelper output)
    {
        var directory = PrivateFiles.CreateUniqueFolder(Path.GetTempPath(), $"mentorstatus-{purpose}-");
        var cluster = await LocalCluster.AtAsync(directory, new LocalClusterOptions
        {
            Port = TestCluster.FreePort(),
            Settings = new Dictionary<string, string> { ["fsync"] = "off", ["full_page_writes"] = "off" },
        });
        await cluster.StartAsync();
        return new OwnCluster(cluster, output);
    }

    /// <summary>Database <paramref name="name"/> created anew with the platform layer and every migration of the project.</summary>
    public async Task<DatabaseTarget> MigratedDatabaseAsync(string name = "app")
    {
        var target = Cluster.Target(name);
        await target.RecreateAsync();
        await using var owner = target.CreateDataSource();
        await SupabasePlatformLayer.EnsureAsync(owner);
        await new MigrationRunner(owner, new MigrationSource(TestDatabases.Project)).UpAsync();
        return target;
    }

    /// <summary>pg_ctl stop -m fast, then start: every open connection dies.</summary>
    public async Task RestartAsync(string when)
    {
        Assert.True(await Cluster.StopAsync(), "the server was not running");
        await Cluster.StartAsync();
        _output.WriteLine($"server restarted {when}");
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await Cluster.DestroyAsync();
    }
}
