using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using MentorStatus.Database;

namespace MentorStatus.Tooling.Local;

public sealed record LocalClusterOptions
{
    public const int DefaultPort = 54322; // the Supabase CLI's local database port
    public int Port { get; init; } = DefaultPort;
    /// <summary>Extra server settings (e.g. fsync=off for throwaway test clusters).</summary>
    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();
    /// <summary>
    /// The password of the <c>postgres</c> role. Null (the default): a random one made for this cluster at initdb, kept
    /// only in the cluster's passfile (0600). The developer cluster passes <see cref="LocalCluster.DeveloperPassword"/>.
    /// </summary>
    public string? Password { get; init; }
}

/// <summary>
/// A PostgreSQL 15 cluster the project owns: created with initdb, run with pg_ctl, listening on
/// 127.0.0.1 and a private socket folder, as the <c>postgres</c> OS user when we are root.
/// Closed to other OS users: scram-sha-256 for every connection (no trust, also on the socket), the folder and
/// everything in it private to the server's user (0700 folders, 0600 files), and the socket only for that user.
/// </summary>
public sealed partial class LocalCluster
{
    /// <summary>The developer cluster keeps Supabase's local convention (postgres:postgres on 127.0.0.1), which users expect.</summary>
    public const string DeveloperPassword = "postgres";
    /// <summary>The libpq passfile in the cluster folder (<c>*:*:*:postgres:PASSWORD</c>, 0600): PGPASSFILE=it psql … connects.</summary>
    public const string PassFileName = "passfile";
    private const string StateFile = "cluster.json";

    public string Directory { get; }
    public string DataDirectory => Path.Combine(Directory, "data");
    public string SocketDirectory => Path.Combine(Directory, "run");
    /// <summary>
    /// The kernel's limit for a Unix socket's path (sun_path, 108 bytes with its NUL); PostgreSQL refuses to start
    /// when its socket's path is longer.
    /// </summary>
    public const int MaxSocketPathBytes = 107;
    /// <summary>
    /// Whether the server also listens on a socket in <see cref="SocketDirectory"/>. Not when that path would pass
    /// <see cref="MaxSocketPathBytes"/> (a deep checkout, a long TMPDIR): then it listens on 127.0.0.1 only, which every
    /// part of this project uses anyway, rather than failing to start.
    /// </summary>
    public bool HasUnixSocket => System.Text.Encoding.UTF8.GetByteCount(SocketPath(Port)) <= MaxSocketPathBytes;
    private string SocketPath(int port) => Path.Combine(SocketDirectory, $".s.PGSQL.{port.ToString(CultureInfo.InvariantCulture)}");
    public string LogFile => Path.Combine(Directory, "postgres.log");
    public string PassFile => Path.Combine(Directory, PassFileName);
    public int Port { get; private set; }
    public PostgresInstallation Installation { get; }
    /// <summary>The <c>postgres</c> role's password: the passfile's when the cluster has one, else the options', else a new random one.</summary>
    public string Password { get; }
    private readonly LocalClusterOptions _options;

    private LocalCluster(string directory, PostgresInstallation installation, LocalClusterOptions options)
    {
        Directory = directory;
        Installation = installation;
        _options = options;
        Port = options.Port;
        Password = PasswordFromPassFile(PassFile)
                   // a cluster made before the passfile existed was given the developer password
                   ?? (File.Exists(Path.Combine(DataDirectory, "PG_VERSION")) ? options.Password ?? DeveloperPassword : null)
                   ?? options.Password ?? NewPassword();
    }

    public DatabaseTarget Target(string database = "postgres") => DatabaseTarget.Local("127.0.0.1", Port, database, Password);

    /// <summary>32 random hex digits (128 bits): no character a URL, a connection string or a passfile must escape.</summary>
    public static string NewPassword() => System.Security.Cryptography.RandomNumberGenerator.GetHexString(32, lowercase: true);

    /// <summary>The password of a passfile this class wrote, or null when there is none.</summary>
    public static string? PasswordFromPassFile(string path)
    {
        try
        {
            return File.ReadLines(path).Select(l => l.Split(':')).FirstOrDefault(f => f.Length == 5 && f[3] == "postgres")?[4];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// The cluster of a project lives in its git-ignored .mentorstatus folder, unless the postgres user cannot
    /// reach that folder (a checkout under a private home directory): then in a folder with a random name under the
    /// system temp folder, whose path the project's .mentorstatus/local-cluster remembers (a name others could
    /// predict could be made by them first). Its password is the developer one, <see cref="DeveloperPassword"/>.
    /// </summary>
    public static async Task<LocalCluster> ForProjectAsync(ProjectLayout layout, LocalClusterOptions options, CancellationToken ct = default)
    {
        options = options with { Password = DeveloperPassword };
        var directory = Path.Combine(layout.LocalStateDirectory, "local");
        if (OsProcess.IsRoot && !PostgresUserCanReach(layout.Root)) directory = await TempClusterFolderAsync(layout, ct);
        // the port is the caller's: the CLI's --port defaults to the remembered one (RememberedPort), so an explicit
        // --port 54322 is kept even when the cluster last ran elsewhere
        return await AtAsync(directory, options, ct);
    }

    /// <summary>The folder of a project's cluster as <see cref="ForProjectAsync"/> finds it, without creating anything:
    /// null when the cluster lives under the temp folder and none was made yet.</summary>
    public static string? ProjectDirectory(ProjectLayout layout)
    {
        if (!OsProcess.IsRoot || PostgresUserCanReach(layout.Root)) return Path.Combine(layout.LocalStateDirectory, "local");
        var pointer = Path.Combine(layout.LocalStateDirectory, "local-cluster");
        return File.Exists(pointer) && File.ReadAllText(pointer).Trim() is { Length: > 0 } remembered ? remembered : null;
    }

    /// <summary>The port the project's cluster last started on (its state file), or null when it never started; what
    /// every verb uses when no --port is given.</summary>
    public static int? RememberedPort(ProjectLayout layout)
    {
        try
        {
            if (ProjectDirectory(layout) is not { } directory) return null;
            var path = Path.Combine(directory, StateFile);
            return File.Exists(path) ? JsonSerializer.Deserialize<State>(File.ReadAllText(path))?.Port : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            return null; // unreadable: ForProjectAsync will say so when a verb needs the cluster
        }
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
        await CloseOlderClusterAsync(ct);

        progress?.Report(HasUnixSocket
            ? $"starting PostgreSQL on 127.0.0.1:{Port}…"
            : $"starting PostgreSQL on 127.0.0.1:{Port} (no Unix socket: {SocketPath(Port)} would pass the {MaxSocketPathBytes}-byte limit)…");
        var settings = new Dictionary<string, string>
        {
            ["port"] = Port.ToString(CultureInfo.InvariantCulture),
            ["listen_addresses"] = "127.0.0.1",
            // double quotes: PostgreSQL's list syntax for a folder with spaces or commas; none: no socket at all
            // (pg_ctl -w waits on postmaster.pid, not on a connection)
            ["unix_socket_directories"] = HasUnixSocket ? $"\"{SocketDirectory}\"" : "",
            // the socket itself only for the server's own OS user (and root), besides its 0700 folder
            ["unix_socket_permissions"] = "0700",
        };
        foreach (var (k, v) in _options.Settings) settings[k] = v;
        // pg_ctl hands these to the server through /bin/sh: each value single-quoted for it
        var serverOptions = string.Join(' ', settings.Select(kv => $"-c {kv.Key}='{kv.Value.Replace("'", @"'\''")}'"));
        var start = await OsProcess.RunAsync(Installation.Tool("pg_ctl"),
            ["start", "-D", DataDirectory, "-l", LogFile, "-w", "-t", "60", "-o", serverOptions], true, ct, TimeSpan.FromSeconds(90));
        if (start.ExitCode != 0)
            throw new LocalDatabaseException($"PostgreSQL did not start: {start.Output}\n  the server log is {LogFile}; {Tail(LogFile)}");
        await WriteStateAsync(ct);
        return true;
    }

    /// <summary>
    /// A cluster made by an older version (trust on the socket, folders open to everyone) is closed before it starts:
    /// its trust lines become scram-sha-256 (its postgres role has the developer password) and its folders 0700.
    /// </summary>
    private async Task CloseOlderClusterAsync(CancellationToken ct)
    {
        var hba = Path.Combine(DataDirectory, "pg_hba.conf");
        if (File.Exists(hba))
        {
            var lines = await File.ReadAllLinesAsync(hba, ct);
            var closed = lines.Select(l => l.TrimStart().StartsWith('#') ? l : TrustMethod().Replace(l, "scram-sha-256")).ToArray();
            if (!closed.SequenceEqual(lines)) await File.WriteAllLinesAsync(hba, closed, ct); // an existing file keeps its owner and mode
        }
        if (OperatingSystem.IsWindows()) return;
        foreach (var folder in new[] { Directory, SocketDirectory }.Where(System.IO.Directory.Exists))
            File.SetUnixFileMode(folder, PrivateFiles.FolderMode);
        if (!File.Exists(PassFile)) await PrepareFolderAsync(ct);
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"\btrust\s*$")]
    private static partial System.Text.RegularExpressions.Regex TrustMethod();

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

    /// <summary>
    /// What initdb is told besides the folder and the password file. Every connection, the Unix socket included, needs
    /// the password (scram-sha-256): with trust, any OS user who reaches the socket is superuser.
    /// </summary>
    internal static readonly IReadOnlyList<string> InitdbOptions =
        ["-U", "postgres", "-E", "UTF8", "--locale=C.UTF-8", "--auth-local=scram-sha-256", "--auth-host=scram-sha-256", "--no-instructions"];

    /// <summary>initdb into <see cref="DataDirectory"/> (<see cref="StartAsync"/> does it when needed).</summary>
    /// <param name="password">The password initdb gives the postgres role; default <see cref="Password"/> (the
    /// rehearsal's initdb cache uses a bootstrap one, changed after the start).</param>
    internal async Task InitAsync(IProgress<string>? progress, CancellationToken ct, string? password = null)
    {
        progress?.Report($"creating a PostgreSQL {PostgresInstallation.RequiredMajorVersion} cluster in {Directory}…");
        var passwordFile = Path.Combine(Directory, ".pwfile-" + NewPassword()[..12]);
        await PrepareFolderAsync(ct, (passwordFile, (password ?? Password) + "\n"));
        try
        {
            var init = await OsProcess.RunAsync(Installation.Tool("initdb"), ["-D", DataDirectory, "--pwfile", passwordFile, .. InitdbOptions], true, ct);
            if (init.ExitCode != 0)
                throw new LocalDatabaseException($"initdb failed in {DataDirectory}: {init.Output}\n  fix: remove {Directory} and run again.");
        }
        finally
        {
            File.Delete(passwordFile);
        }
    }

    /// <summary>
    /// The cluster folder and its socket folder, 0700, with the passfile (0600) and any <paramref name="files"/> (0600)
    /// in it; all given to the postgres OS user when we are root (initdb and the server run as that user).
    /// </summary>
    internal async Task PrepareFolderAsync(CancellationToken ct, params (string Path, string Content)[] files)
    {
        PrivateFiles.CreateFolder(Directory);
        PrivateFiles.CreateFolder(SocketDirectory);
        PrivateFiles.Write(PassFile, $"*:*:*:postgres:{Password}\n");
        foreach (var (path, content) in files) PrivateFiles.Write(path, content);
        await PrivateFiles.GiveToPostgresAsync(Directory, ct);
    }

    /// <summary>
    /// Sets the postgres role's password to <see cref="Password"/>, connected with <paramref name="current"/> (a cluster
    /// made from a copy of another initdb starts with that one's password).
    /// </summary>
    internal async Task ChangePasswordAsync(string current, CancellationToken ct)
    {
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(DatabaseTarget.Local("127.0.0.1", Port, "postgres", current).ConnectionString) { Pooling = false };
        await using var connection = new Npgsql.NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync(ct);
        await using var command = new Npgsql.NpgsqlCommand($"alter role postgres password '{Password}'", connection);
        await command.ExecuteNonQueryAsync(ct);
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

    private async Task WriteStateAsync(CancellationToken ct)
    {
        var path = Path.Combine(Directory, StateFile);
        PrivateFiles.Write(path, JsonSerializer.Serialize(new State(Port)));
        await PrivateFiles.GiveToPostgresAsync(path, ct);
    }

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

    /// <summary>
    /// The temp folder remembered in .mentorstatus/local-cluster when it is still ours (a real folder, 0700, owned by
    /// postgres or root); else a new one with a random name, remembered there.
    /// </summary>
    private static async Task<string> TempClusterFolderAsync(ProjectLayout layout, CancellationToken ct)
    {
        var pointer = Path.Combine(layout.LocalStateDirectory, "local-cluster");
        if (File.Exists(pointer) && (await File.ReadAllTextAsync(pointer, ct)).Trim() is { Length: > 0 } remembered
            && await PrivateFiles.IsOursAsync(remembered, ct))
            return remembered;
        var folder = PrivateFiles.CreateUniqueFolder(Path.GetTempPath(), "mentorstatus-local-");
        PrivateFiles.CreateFolder(layout.LocalStateDirectory);
        PrivateFiles.Write(pointer, folder + "\n");
        return folder;
    }

    /// <summary>Every ancestor folder must be searchable by others (or owned by postgres) for the server to reach its files.</summary>
    private static bool PostgresUserCanReach(string path)
    {
        for (var dir = new DirectoryInfo(path); dir is not null; dir = dir.Parent)
            if (!dir.UnixFileMode.HasFlag(UnixFileMode.OtherExecute)) return false;
        return true;
    }
}
