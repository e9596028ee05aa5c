using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace MentorStatus.Database.Local;

public sealed record LocalClusterOptions
{
    public const int DefaultPort = 54322; // the Supabase CLI's local database port
    public int Port { get; init; } = DefaultPort;
    /// <summary>Extra server settings (e.g. fsync=off for throwaway test clusters).</summary>
    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();
}

/// <summary>
/// A PostgreSQL 15 cluster the project owns: created with initdb, run with pg_ctl, listening on
/// 127.0.0.1 and a private socket folder, as the <c>postgres</c> OS user when we are root.
/// </summary>
public sealed class LocalCluster
{
    public const string Password = "postgres";
    private const string StateFile = "cluster.json";

    public string Directory { get; }
    public string DataDirectory => Path.Combine(Directory, "data");
    public string SocketDirectory => Path.Combine(Directory, "run");
    public string LogFile => Path.Combine(Directory, "postgres.log");
    public int Port { get; private set; }
    public PostgresInstallation Installation { get; }
    private readonly LocalClusterOptions _options;

    private LocalCluster(string directory, PostgresInstallation installation, LocalClusterOptions options)
    {
        Directory = directory;
        Installation = installation;
        _options = options;
        Port = options.Port;
    }

    public DatabaseTarget Target(string database = "postgres") => DatabaseTarget.Local("127.0.0.1", Port, database);

    /// <summary>
    /// The cluster of a project lives in its git-ignored .mentorstatus folder, unless the postgres user cannot
    /// reach that folder (a checkout under a private home directory): then under the system temp folder.
    /// </summary>
    public static async Task<LocalCluster> ForProjectAsync(ProjectLayout layout, LocalClusterOptions options, CancellationToken ct = default)
    {
        var directory = Path.Combine(layout.LocalStateDirectory, "local");
        if (OsProcess.IsRoot && !PostgresUserCanReach(layout.Root))
        {
            var key = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(layout.Root)))[..12];
            directory = Path.Combine(Path.GetTempPath(), $"mentorstatus-{key}");
        }
        var cluster = await AtAsync(directory, options, ct);
        if (cluster.ReadState() is { } state && options.Port == LocalClusterOptions.DefaultPort) cluster.Port = state.Port;
        return cluster;
    }

    /// <summary>A cluster in an explicit folder (tests and benchmarks use a temp folder of their own).</summary>
    public static async Task<LocalCluster> AtAsync(string directory, LocalClusterOptions options, CancellationToken ct = default) =>
        new(Path.GetFullPath(directory), await PostgresInstallation.FindAsync(ct), options);

    public bool IsInitialized => File.Exists(Path.Combine(DataDirectory, "PG_VERSION"));

    public async Task<bool> IsRunningAsync(CancellationToken ct = default)
    {
        if (!IsInitialized) return false;
        var status = await OsProcess.RunAsync(Installation.Tool("pg_ctl"), ["status", "-D", DataDirectory], true, ct);
        return status.ExitCode == 0;
    }

    /// <summary>Creates the cluster if needed and starts it; returns false when it was already running.</summary>
    public async Task<bool> StartAsync(IProgress<string>? progress = null, CancellationToken ct = default)
    {
        if (!IsInitialized) await InitAsync(progress, ct);
        if (await IsRunningAsync(ct)) return false;
        CheckStalePidFile();
        CheckPortFree();

        progress?.Report($"starting PostgreSQL on 127.0.0.1:{Port}…");
        var settings = new Dictionary<string, string>
        {
            ["port"] = Port.ToString(CultureInfo.InvariantCulture),
            ["listen_addresses"] = "127.0.0.1",
            ["unix_socket_directories"] = SocketDirectory,
        };
        foreach (var (k, v) in _options.Settings) settings[k] = v;
        var serverOptions = string.Join(' ', settings.Select(kv => $"-c {kv.Key}={kv.Value}"));
        var start = await OsProcess.RunAsync(Installation.Tool("pg_ctl"),
            ["start", "-D", DataDirectory, "-l", LogFile, "-w", "-t", "60", "-o", serverOptions], true, ct, TimeSpan.FromSeconds(90));
        if (start.ExitCode != 0)
            throw new LocalDatabaseException($"PostgreSQL did not start: {start.Output}\n  the server log is {LogFile}; {Tail(LogFile)}");
        WriteState();
        return true;
    }

    public Task<bool> StopAsync(CancellationToken ct = default) => StopAsync("fast", ct);

    /// <param name="mode">pg_ctl's shutdown mode: "fast" (a checkpoint first), or "immediate" for a cluster about to be
    /// deleted (no checkpoint: its dirty pages would be written only to be thrown away).</param>
    internal async Task<bool> StopAsync(string mode, CancellationToken ct)
    {
        if (!await IsRunningAsync(ct)) return false;
        var stop = await OsProcess.RunAsync(Installation.Tool("pg_ctl"), ["stop", "-D", DataDirectory, "-m", mode, "-w", "-t", "60"], true, ct);
        if (stop.ExitCode != 0) throw new LocalDatabaseException($"PostgreSQL did not stop: {stop.Output}");
        return true;
    }

    /// <summary>Stops the server and deletes the whole cluster folder.</summary>
    public async Task DestroyAsync(CancellationToken ct = default)
    {
        await StopAsync(ct);
        if (System.IO.Directory.Exists(Directory)) System.IO.Directory.Delete(Directory, recursive: true);
    }

    /// <summary>What initdb is told besides the folder and the password file (whose content is <see cref="Password"/>).</summary>
    internal static readonly IReadOnlyList<string> InitdbOptions =
        ["-U", "postgres", "-E", "UTF8", "--locale=C.UTF-8", "--auth-local=trust", "--auth-host=scram-sha-256", "--no-instructions"];

    /// <summary>initdb into <see cref="DataDirectory"/> (<see cref="StartAsync"/> does it when needed).</summary>
    internal async Task InitAsync(IProgress<string>? progress, CancellationToken ct)
    {
        progress?.Report($"creating a PostgreSQL {PostgresInstallation.RequiredMajorVersion} cluster in {Directory}…");
        System.IO.Directory.CreateDirectory(Directory);
        System.IO.Directory.CreateDirectory(SocketDirectory);
        var passwordFile = Path.Combine(Directory, ".pwfile");
        await File.WriteAllTextAsync(passwordFile, Password + "\n", ct);
        if (OsProcess.IsRoot)
        {
            // initdb runs as postgres: hand it the folder (and only this folder).
            var chown = await OsProcess.RunAsync("chown", ["-R", "postgres:postgres", Directory], false, ct);
            if (chown.ExitCode != 0) throw new LocalDatabaseException($"could not give {Directory} to the postgres user: {chown.Output}");
        }
        var init = await OsProcess.RunAsync(Installation.Tool("initdb"), ["-D", DataDirectory, "--pwfile", passwordFile, .. InitdbOptions], true, ct);
        File.Delete(passwordFile);
        if (init.ExitCode != 0)
            throw new LocalDatabaseException($"initdb failed in {DataDirectory}: {init.Output}\n  fix: remove {Directory} and run again.");
    }

    /// <summary>A postmaster.pid whose process is gone, or belongs to something else, blocks the start.</summary>
    private void CheckStalePidFile()
    {
        var pidFile = Path.Combine(DataDirectory, "postmaster.pid");
        if (!File.Exists(pidFile)) return;
        var firstLine = File.ReadLines(pidFile).FirstOrDefault();
        if (!int.TryParse(firstLine, out var pid)) return;
        var cmdline = $"/proc/{pid}/cmdline";
        var isPostgres = File.Exists(cmdline) && File.ReadAllText(cmdline).Contains("postgres");
        if (!isPostgres)
            throw new LocalDatabaseException(
                $"a stale {pidFile} names process {pid}, which is {(File.Exists(cmdline) ? "not PostgreSQL" : "not running")} (the server was killed?).\n" +
                $"  fix: delete {pidFile} and run `db start` again.");
    }

    private void CheckPortFree()
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, Port);
            listener.Start();
        }
        catch (SocketException)
        {
            throw new LocalDatabaseException(
                $"port {Port} on 127.0.0.1 is already in use by another program.\n" +
                $"  fix: stop that program, or pick another port with --port N (e.g. --port {Port + 1}).");
        }
    }

    private sealed record State(int Port);

    private void WriteState() => File.WriteAllText(Path.Combine(Directory, StateFile), JsonSerializer.Serialize(new State(Port)));

    private State? ReadState()
    {
        var path = Path.Combine(Directory, StateFile);
        return File.Exists(path) ? JsonSerializer.Deserialize<State>(File.ReadAllText(path)) : null;
    }

    private static string Tail(string path)
    {
        try
        {
            return "its end reads:\n    " + string.Join("\n    ", File.ReadLines(path).TakeLast(5));
        }
        catch (IOException)
        {
            return "it could not be read.";
        }
    }

    /// <summary>Every ancestor folder must be searchable by others (or owned by postgres) for the server to reach its files.</summary>
    private static bool PostgresUserCanReach(string path)
    {
        for (var dir = new DirectoryInfo(path); dir is not null; dir = dir.Parent)
            if (!dir.UnixFileMode.HasFlag(UnixFileMode.OtherExecute)) return false;
        return true;
    }
}
