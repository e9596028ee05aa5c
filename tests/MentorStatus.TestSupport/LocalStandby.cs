using MentorStatus.Tooling.Local;

namespace MentorStatus.TestSupport;

/// <summary>
/// A streaming hot standby of a <see cref="LocalCluster"/>: <c>pg_basebackup -R</c> from the primary (as the
/// postgres OS user), then a cluster of its own on another port that replays the primary's WAL and serves reads.
/// What tests and the bench use for read scale-out, like a hosted read replica.
/// </summary>
public static class LocalStandby
{
    public static async Task<LocalCluster> CreateAsync(LocalCluster primary, string directory, int port,
        IReadOnlyDictionary<string, string>? settings = null, CancellationToken ct = default)
    {
        directory = Path.GetFullPath(directory);
        // the standby is a copy of the primary: the same postgres password, in its own passfile
        var standby = await LocalCluster.AtAsync(directory, new LocalClusterOptions
        {
            Port = port, Settings = settings ?? new Dictionary<string, string>(), Password = primary.Password,
        }, ct);
        await standby.PrepareFolderAsync(ct);
        // -R writes primary_conninfo and standby.signal; -X stream copies the WAL written meanwhile; -c fast
        // does not wait for the next checkpoint. The password comes from the primary's passfile, never the command line.
        var conninfo = $"host=127.0.0.1 port={primary.Port} user=postgres application_name=standby_{port}";
        var backup = await OsProcess.RunAsync(primary.Installation.Tool("pg_basebackup"),
            ["-D", standby.DataDirectory, "-R", "-X", "stream", "-c", "fast", "-d", conninfo], true, ct, TimeSpan.FromMinutes(30),
            new Dictionary<string, string> { ["PGPASSFILE"] = standby.PassFile });
        if (backup.ExitCode != 0)
            throw new LocalDatabaseException($"pg_basebackup from port {primary.Port} failed: {backup.Output}\n" +
                                             "  fix: the primary needs wal_level replica (the default), max_wal_senders > 0 and a pg_hba.conf replication line for 127.0.0.1.");
        await standby.StartAsync(null, ct);
        return standby;
    }
}
