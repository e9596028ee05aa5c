using System.Globalization;
using System.Net.Sockets;
using MentorStatus.Database;
using MentorStatus.Tooling.Local;

namespace MentorStatus.TestSupport;

/// <summary>
/// A PgBouncer in transaction pooling mode (or session mode, when asked) in front of a local PostgreSQL, on its own port, run as the
/// postgres OS user (PgBouncer refuses root): the same semantics as Supabase's Supavisor on port 6543 —
/// a server connection belongs to a client for one transaction only. For tests and the bench.
/// </summary>
public sealed class LocalPgBouncer : IAsyncDisposable
{
    private readonly string _directory;
    private readonly string _password;
    public int Port { get; }
    public int ServerPort { get; }

    private LocalPgBouncer(string directory, int port, int serverPort, string password)
    {
        _directory = directory;
        Port = port;
        ServerPort = serverPort;
        _password = password;
    }

    /// <summary>The pgbouncer program (Debian package pgbouncer), or null when it is not installed.</summary>
    public static string? FindProgram() => ProgramPaths.FirstOrDefault(File.Exists);

    private static readonly string[] ProgramPaths = ["/usr/sbin/pgbouncer", "/usr/bin/pgbouncer", "/usr/local/bin/pgbouncer"];

    /// <summary>Writes the configuration, starts PgBouncer as a daemon and waits until it accepts connections.</summary>
    /// <param name="password">The postgres role's password on the server (<see cref="LocalCluster.Password"/>); PgBouncer asks clients for the same.</param>
    /// <param name="poolMode">transaction (Supavisor on 6543, the default) or session (Supavisor's session mode).</param>
    public static async Task<LocalPgBouncer> StartAsync(string directory, int serverPort, int port, string password, int poolSize = 10,
        string poolMode = "transaction", CancellationToken ct = default)
    {
        var program = FindProgram() ?? throw new LocalDatabaseException(
            "pgbouncer is not installed: apt-get install pgbouncer (scripts/test.sh installs it).");
        directory = Path.GetFullPath(directory);
        PrivateFiles.CreateFolder(directory);
        var ini = Path.Combine(directory, "pgbouncer.ini");
        PrivateFiles.Write(Path.Combine(directory, "userlist.txt"), $"\"postgres\" \"{password}\"\n");
        PrivateFiles.Write(ini, string.Join('\n',
            "[databases]",
            $"* = host=127.0.0.1 port={serverPort.ToString(CultureInfo.InvariantCulture)}",
            "[pgbouncer]",
            "listen_addr = 127.0.0.1",
            $"listen_port = {port.ToString(CultureInfo.InvariantCulture)}",
            "unix_socket_dir =",
            "auth_type = scram-sha-256",
            $"auth_file = {Path.Combine(directory, "userlist.txt")}",
            $"pool_mode = {poolMode}",
            // sent by some clients at start-up; PgBouncer refuses unknown start-up parameters otherwise
            "ignore_startup_parameters = extra_float_digits",
            $"default_pool_size = {poolSize.ToString(CultureInfo.InvariantCulture)}",
            "max_client_conn = 500",
            $"logfile = {Path.Combine(directory, "pgbouncer.log")}",
            $"pidfile = {Path.Combine(directory, "pgbouncer.pid")}",
            ""));
        await PrivateFiles.GiveToPostgresAsync(directory, ct);
        var start = await OsProcess.RunAsync(program, ["-d", ini], true, ct, TimeSpan.FromSeconds(30));
        if (start.ExitCode != 0)
            throw new LocalDatabaseException($"pgbouncer did not start: {start.Output}\n  its log is {Path.Combine(directory, "pgbouncer.log")}");
        var bouncer = new LocalPgBouncer(directory, port, serverPort, password);
        for (var i = 0; ; i++)
        {
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync("127.0.0.1", port, ct);
                return bouncer;
            }
            catch (SocketException) when (i < 100)
            {
                await Task.Delay(100, ct);
            }
        }
    }

    /// <summary>A database behind the pooler. Auto-prepare is off: PgBouncer 1.18 does not keep prepared statements across transactions.</summary>
    public DatabaseTarget Target(string database) =>
        DatabaseTarget.Parse($"Host=127.0.0.1;Port={Port.ToString(CultureInfo.InvariantCulture)};Database={database};Username=postgres;" +
                             $"Password={_password};Max Auto Prepare=0");

    public async ValueTask DisposeAsync()
    {
        var pidFile = Path.Combine(_directory, "pgbouncer.pid");
        if (File.Exists(pidFile) && int.TryParse((await File.ReadAllTextAsync(pidFile)).Trim(), out var pid))
        {
            try
            {
                using var process = System.Diagnostics.Process.GetProcessById(pid);
                process.Kill();
                await process.WaitForExitAsync();
            }
            catch (ArgumentException) { /* already gone */ }
        }
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }
}
