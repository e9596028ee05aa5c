using MentorStatus.Database;
using MentorStatus.Tooling.Local;
using Npgsql;

namespace MentorStatus.Rehearsal;

/// <summary>
/// The local PostgreSQL 15 the copy goes into: a folder of its own under the system temp folder (never the
/// project folder: production data must not land in a checkout), a free port, run as the postgres OS user.
/// As closed as production: the folder has a random name and is 0700 (the dumps of the source's roles and schema
/// in it are 0600), and the postgres role has a random password of this cluster only, kept in its passfile.
/// Durability is off while the copy loads and back on before the migrations run, so the measured figures
/// are those of a normal server. Deleted with everything in its folder at the end.
/// </summary>
internal sealed class ThrowawayCluster
{
    public const string FolderPrefix = "mentorstatus-rehearse-";

    private static readonly Dictionary<string, string> LoadSettings = new()
    {
        ["fsync"] = "off", ["full_page_writes"] = "off", ["synchronous_commit"] = "off",
    };

    public string Root { get; }
    public LocalCluster Cluster { get; }

    private ThrowawayCluster(string root, LocalCluster cluster) => (Root, Cluster) = (root, cluster);

    /// <summary>
    /// The shell command that stops this cluster and deletes its folder, for --keep. Run as root, the server runs as
    /// the postgres OS user (initdb and pg_ctl refuse root), so pg_ctl must too.
    /// </summary>
    public string StopAndDeleteCommand
    {
        get
        {
            var stop = $"{Cluster.Installation.Tool("pg_ctl")} stop -D {Cluster.DataDirectory}";
            return (OsProcess.IsRoot ? $"su postgres -c '{stop}'" : stop) + $" && rm -rf {Root}";
        }
    }

    /// <summary>How to connect to the kept cluster without the password on a command line or in a URL.</summary>
    public string ConnectCommand(string database) =>
        $"PGPASSFILE={Cluster.PassFile} psql -h 127.0.0.1 -p {Cluster.Port} -U postgres {database}";

    /// <summary>Creates the folder and the cluster object; <see cref="StartAsync"/> runs initdb and starts it.</summary>
    public static async Task<ThrowawayCluster> CreateAsync(string? workRoot, CancellationToken ct)
    {
        // random name, made by mkdir (fails if it exists), 0700; given to the postgres OS user, who runs the server inside
        var root = PrivateFiles.CreateUniqueFolder(workRoot ?? Path.GetTempPath(), FolderPrefix);
        try
        {
            await PrivateFiles.GiveToPostgresAsync(root, ct);
            var cluster = await LocalCluster.AtAsync(Path.Combine(root, "cluster"), new LocalClusterOptions
            {
                Port = FreePort(),
                Settings = new Dictionary<string, string> { ["max_connections"] = "200", ["max_wal_size"] = "4GB" },
            }, ct);
            return new ThrowawayCluster(root, cluster);
        }
        catch
        {
            // Ctrl+C here (or no PostgreSQL 15 found): nobody else would delete the folder
            Directory.Delete(root, recursive: true);
            throw;
        }
    }

    /// <summary>
    /// The cluster's files from the initdb cache when it has a valid entry, else initdb (then saved there), and the
    /// start. A cached copy the server refuses to start is discarded, and the cluster made again with initdb.
    /// </summary>
    /// <remarks>
    /// Every copy of a cache entry starts with the entry's bootstrap password (a cluster saved into the cache too):
    /// right after the start it gets the cluster's own random one, so no two clusters share a password.
    /// </remarks>
    public async Task StartAsync(InitdbCache? cache, PhaseClock clock, CancellationToken ct)
    {
        var bootstrap = cache is null ? null : await cache.TryRestoreAsync(Cluster, ct);
        var fromCache = bootstrap is not null;
        if (fromCache) clock.Lap(RehearsalPhases.InitdbFromCache);
        else
        {
            bootstrap = cache is null ? null : LocalCluster.NewPassword();
            await Cluster.InitAsync(null, ct, bootstrap);
            if (cache is not null) await cache.SaveAsync(Cluster, bootstrap!, ct);
            clock.Lap(RehearsalPhases.Initdb);
        }
        try
        {
            await StartWithLoadSettingsAsync(ct);
        }
        catch (LocalDatabaseException) when (fromCache)
        {
            // damaged in a way the manifest (names and sizes) does not show: never use that entry again
            cache!.Discard(cache.EntryFor(Cluster.Installation));
            Directory.Delete(Cluster.DataDirectory, recursive: true);
            bootstrap = null;
            await Cluster.InitAsync(null, ct);
            clock.Lap(RehearsalPhases.Initdb);
            await StartWithLoadSettingsAsync(ct);
        }
        if (bootstrap is not null) await Cluster.ChangePasswordAsync(bootstrap, ct);
        clock.Lap(RehearsalPhases.Start);
    }

    /// <summary>
    /// The load settings go into postgresql.auto.conf before the start, as ALTER SYSTEM would write them (no
    /// session and reload needed); <see cref="RestoreDurabilityAsync"/> resets them with ALTER SYSTEM.
    /// </summary>
    private async Task StartWithLoadSettingsAsync(CancellationToken ct)
    {
        var autoConf = Path.Combine(Cluster.DataDirectory, "postgresql.auto.conf"); // owned by postgres: appending keeps that
        await File.AppendAllLinesAsync(autoConf, LoadSettings.Select(kv => $"{kv.Key} = '{kv.Value}'"), ct);
        await Cluster.StartAsync(null, ct);
    }

    /// <summary>Back to the default durable settings, and a checkpoint so the load's dirty pages are not the migrations' I/O.</summary>
    public Task RestoreDurabilityAsync(CancellationToken ct) =>
        SetAsync(LoadSettings.Keys.Select(k => $"alter system reset {k}").Append("select pg_reload_conf()").Append("checkpoint"), ct);

    public DatabaseTarget Target(string database) => Cluster.Target(database);

    public async Task DestroyAsync()
    {
        NpgsqlConnection.ClearAllPools();
        try
        {
            // immediate: no shutdown checkpoint, the files are deleted next
            await Cluster.StopAsync("immediate", CancellationToken.None);
        }
        catch
        {
            // the server did not stop: deleting its folder under it would fail too and hide why (best effort only)
            try { Directory.Delete(Root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
        await DeleteFolderAsync(Root);
    }

    /// <summary>
    /// Deletes the folder, retrying for a few seconds: after Ctrl+C during initdb (killed with its process tree),
    /// its bootstrap backend can still be writing files there for a moment ("Directory not empty").
    /// </summary>
    private static async Task DeleteFolderAsync(string folder)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
                return;
            }
            catch (IOException) when (attempt < 40)
            {
                await Task.Delay(250, CancellationToken.None);
            }
        }
    }

    private async Task SetAsync(IEnumerable<string> statements, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(Target("postgres").ConnectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync(ct);
        foreach (var sql in statements.Append("select pg_reload_conf()"))
        {
            await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
            await command.ExecuteNonQueryAsync(ct);
        }
    }

    private static int FreePort() => FreePorts.Next();
}
