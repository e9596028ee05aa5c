using MentorStatus.Database;
using MentorStatus.Tooling.Local;
using Npgsql;

namespace MentorStatus.Bench;

/// <summary>
/// A throwaway PostgreSQL 15 cluster of the bench's own, in a fresh folder under the system temp
/// directory (the postgres OS user can reach it) on a free port. Always destroyed at the end.
/// </summary>
public sealed class BenchCluster : IAsyncDisposable
{
    /// <summary>Server settings of the data cluster, reported in BENCHMARKS.md. Durability stays on (fsync, synchronous_commit).</summary>
    public static readonly IReadOnlyDictionary<string, string> DataSettings = new Dictionary<string, string>
    {
        ["shared_buffers"] = "1GB",
        ["maintenance_work_mem"] = "512MB",
        ["max_wal_size"] = "8GB",
        ["checkpoint_timeout"] = "30min",
        ["max_connections"] = "100",
        // per-statement figures for the cases' breakdowns (where the expiry job's time goes);
        // track = all also counts the statements inside functions (the job's batch is one SQL function)
        ["shared_preload_libraries"] = "pg_stat_statements",
        ["pg_stat_statements.track"] = "all",
    };

    public LocalCluster Cluster { get; }

    private BenchCluster(LocalCluster cluster) => Cluster = cluster;

    public static async Task<BenchCluster> CreateAsync(string purpose, IReadOnlyDictionary<string, string>? settings, CancellationToken ct, int? port = null)
    {
        var directory = Path.Combine(Path.GetTempPath(), $"mentorstatus-bench-{purpose}-{Guid.NewGuid():N}"[..48]);
        var cluster = await LocalCluster.AtAsync(directory,
            new LocalClusterOptions { Port = port ?? FreePort(), Settings = settings ?? new Dictionary<string, string>() }, ct);
        return new BenchCluster(cluster);
    }

    public async Task StartAsync(CancellationToken ct) => await Cluster.StartAsync(null, ct);

    public DatabaseTarget Target(string database) => Cluster.Target(database);

    public NpgsqlDataSource DataSource(string database, int maxPool = 32, bool noResetOnClose = false)
    {
        var builder = new NpgsqlDataSourceBuilder(new NpgsqlConnectionStringBuilder(Target(database).ConnectionString)
        {
            MaxPoolSize = maxPool, ApplicationName = "mentorstatus-bench", CommandTimeout = 0, NoResetOnClose = noResetOnClose,
        }.ConnectionString);
        builder.MapEnum<BenchStatus>("public.mentor_status");
        return builder.Build();
    }

    /// <summary>A data source without the enum mapping, for databases without the schema (pgbench's).</summary>
    public NpgsqlDataSource PlainDataSource(string database) =>
        NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(Target(database).ConnectionString) { CommandTimeout = 0 }.ConnectionString);

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        try
        {
            await Cluster.DestroyAsync(CancellationToken.None);
        }
        catch (Exception e)
        {
            await Console.Error.WriteLineAsync($"warning: could not remove the bench cluster in {Cluster.Directory}: {e.Message}");
        }
    }

    /// <summary>A free port, from MENTORSTATUS_TEST_PORTS when set (<see cref="FreePorts"/>).</summary>
    public static int FreePort() => FreePorts.Next();
}

/// <summary>public.mentor_status for binary COPY and parameters (the library has its own MentorState).</summary>
public enum BenchStatus
{
    Active,
    Paused,
    Inactive,
}
