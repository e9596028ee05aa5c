namespace MentorStatus.Tooling.Local;

/// <summary>The installed PostgreSQL 15 server binaries.</summary>
public sealed record PostgresInstallation(string BinDirectory)
{
    public const int RequiredMajorVersion = 15;
    private const string DebianBinDirectory = "/usr/lib/postgresql/15/bin";

    /// <summary>What <c>postgres --version</c> printed, e.g. "postgres (PostgreSQL) 15.14 (Debian 15.14-1.pgdg12+1)".</summary>
    public string Version { get; init; } = "";

    public string Tool(string name) => Path.Combine(BinDirectory, name);

    /// <summary>MENTORSTATUS_PG_BINDIR, else <c>pg_config --bindir</c> when it is version 15, else the Debian path.</summary>
    public static async Task<PostgresInstallation> FindAsync(CancellationToken ct = default)
    {
        var candidates = new List<string>();
        if (Environment.GetEnvironmentVariable("MENTORSTATUS_PG_BINDIR") is { Length: > 0 } fromEnv) candidates.Add(fromEnv);
        try
        {
            var version = await OsProcess.RunAsync("pg_config", ["--version"], false, ct);
            if (version.ExitCode == 0 && version.Output.Contains($"PostgreSQL {RequiredMajorVersion}."))
            {
                var bindir = await OsProcess.RunAsync("pg_config", ["--bindir"], false, ct);
                if (bindir.ExitCode == 0) candidates.Add(bindir.Output.Trim());
            }
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // no pg_config on PATH: fall through to the packaged location
        }
        candidates.Add(DebianBinDirectory);

        foreach (var dir in candidates.Distinct())
        {
            var postgres = Path.Combine(dir, "postgres");
            if (!File.Exists(postgres) || !File.Exists(Path.Combine(dir, "initdb"))) continue;
            var version = await OsProcess.RunAsync(postgres, ["--version"], false, ct);
            if (version.Output.Contains($") {RequiredMajorVersion}.")) return new PostgresInstallation(dir) { Version = version.Output.Trim() };
        }
        throw new LocalDatabaseException(
            $"PostgreSQL {RequiredMajorVersion} server binaries not found (looked in {string.Join(", ", candidates.Distinct())}).\n" +
            $"  fix: `apt-get install postgresql-{RequiredMajorVersion}`, or set MENTORSTATUS_PG_BINDIR to the folder holding initdb and pg_ctl.");
    }
}

/// <summary>The local cluster cannot be created, started or stopped; the message says why and what to do.</summary>
public sealed class LocalDatabaseException(string message) : MentorStatusException(message);
