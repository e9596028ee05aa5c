using Npgsql;

namespace MentorStatus.Database;

/// <summary>
/// The database a command works on: the local cluster, or any PostgreSQL given with --db-url
/// (a postgresql:// URL, as Supabase shows it, or an Npgsql connection string).
/// </summary>
public sealed class DatabaseTarget
{
    public string ConnectionString { get; }
    public string Host { get; }
    public string Database { get; }

    private DatabaseTarget(NpgsqlConnectionStringBuilder builder)
    {
        builder.ApplicationName ??= "mentorstatus";
        ConnectionString = builder.ConnectionString;
        Host = builder.Host ?? "";
        Database = builder.Database ?? "postgres";
        Port = builder.Port;
    }

    public int Port { get; }

    /// <summary>host:port/database, for messages: never the password.</summary>
    public string Display => $"{(Host.Contains(':') ? $"[{Host}]" : Host)}:{Port}/{Database}";

    /// <summary>URL for humans and for other tools (the Supabase CLI, psql).</summary>
    public string Url
    {
        get
        {
            var b = new NpgsqlConnectionStringBuilder(ConnectionString);
            var auth = b.Password is null ? b.Username : $"{b.Username}:{Uri.EscapeDataString(b.Password)}";
            return $"postgresql://{auth}@{b.Host}:{b.Port}/{b.Database}";
        }
    }

    /// <summary>The URL without its password, for what is printed or logged (a password in a URL ends up in terminals, logs and process lists).</summary>
    public string UrlWithoutPassword
    {
        get
        {
            var b = new NpgsqlConnectionStringBuilder(ConnectionString);
            return $"postgresql://{(b.Username is { } user ? Uri.EscapeDataString(user) + "@" : "")}{b.Host}:{b.Port}/{b.Database}";
        }
    }

    public static DatabaseTarget Local(string host, int port, string database, string password) => new(new NpgsqlConnectionStringBuilder
    {
        Host = host, Port = port, Database = database, Username = "postgres", Password = password,
    });

    public static DatabaseTarget Parse(string urlOrConnectionString)
    {
        if (!urlOrConnectionString.StartsWith("postgres://", StringComparison.Ordinal) && !urlOrConnectionString.StartsWith("postgresql://", StringComparison.Ordinal))
        {
            try
            {
                return new DatabaseTarget(new NpgsqlConnectionStringBuilder(urlOrConnectionString));
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"--db-url is neither a postgresql:// URL nor a connection string: {e.Message}");
            }
        }
        if (!Uri.TryCreate(urlOrConnectionString, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
            throw new ArgumentException("--db-url must look like postgresql://USER:PASSWORD@HOST:PORT/DATABASE");
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host.Trim('[', ']'),
            Port = uri.IsDefaultPort || uri.Port < 0 ? 5432 : uri.Port,
            Database = uri.AbsolutePath.Trim('/') is { Length: > 0 } db ? Uri.UnescapeDataString(db) : "postgres",
        };
        var userInfo = uri.UserInfo.Split(':', 2);
        if (userInfo[0].Length > 0) builder.Username = Uri.UnescapeDataString(userInfo[0]);
        if (userInfo.Length > 1) builder.Password = Uri.UnescapeDataString(userInfo[1]);
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = pair.Split('=', 2);
            var name = Uri.UnescapeDataString(kv[0]);
            var value = kv.Length == 2 ? Uri.UnescapeDataString(kv[1]) : "";
            if (UrlParameters.TryGetValue(name, out var apply)) apply(builder, value);
            else if (Unsupported.TryGetValue(name, out var why))
                throw new ArgumentException($"--db-url: the libpq parameter '{name}' has no Npgsql equivalent ({why}); remove it from the URL.");
            else
                throw new ArgumentException(
                    $"--db-url: unknown parameter '{name}'; a postgresql:// URL may carry {string.Join(", ", UrlParameters.Keys)} (libpq's names).");
        }
        // libpq checks the one server's role; Npgsql chooses among several hosts only and refuses it with one.
        if (builder.TargetSessionAttributes is { } attrs and not "any" && builder.Host?.Contains(',', StringComparison.Ordinal) != true)
            throw new ArgumentException(
                $"--db-url: target_session_attrs={attrs} needs several hosts here (Npgsql picks among them, e.g. ?host=db1,db2); with one host, remove it.");
        return new DatabaseTarget(builder);
    }

    /// <summary>
    /// The libpq connection parameters a postgresql:// URL may carry (as Supabase, psql and the Supabase CLI accept them),
    /// each set on its Npgsql equivalent, so a URL that works with psql means the same here.
    /// </summary>
    private static readonly Dictionary<string, Action<NpgsqlConnectionStringBuilder, string>> UrlParameters = new(StringComparer.Ordinal)
    {
        ["host"] = (b, v) => b.Host = v,
        ["port"] = (b, v) => b.Port = Integer("port", v, 1, 65535),
        ["dbname"] = (b, v) => b.Database = v,
        ["user"] = (b, v) => b.Username = v,
        ["password"] = (b, v) => b.Password = v,
        ["sslmode"] = (b, v) => b.SslMode = Enum.TryParse<SslMode>(v.Replace("-", ""), ignoreCase: true, out var mode) && Enum.IsDefined(mode) && !int.TryParse(v, out _)
            ? mode
            : throw new ArgumentException(
                $"--db-url: unknown sslmode '{v}'; use one of {string.Join(", ", Enum.GetNames<SslMode>().Select(n => n.ToLowerInvariant()))} (e.g. ?sslmode=disable for a local server)."),
        ["sslrootcert"] = (b, v) => b.RootCertificate = v,
        ["sslcert"] = (b, v) => b.SslCertificate = v,
        ["sslkey"] = (b, v) => b.SslKey = v,
        ["sslpassword"] = (b, v) => b.SslPassword = v,
        ["channel_binding"] = (b, v) => b.ChannelBinding = Choice<ChannelBinding>("channel_binding", v),
        ["gssencmode"] = (b, v) => b.GssEncryptionMode = Choice<GssEncryptionMode>("gssencmode", v),
        ["krbsrvname"] = (b, v) => b.KerberosServiceName = v,
        ["application_name"] = (b, v) => b.ApplicationName = v,
        ["fallback_application_name"] = (b, v) => b.ApplicationName ??= v,
        ["options"] = (b, v) => b.Options = v,
        ["client_encoding"] = (b, v) => b.ClientEncoding = v,
        ["target_session_attrs"] = (b, v) => b.TargetSessionAttributes = v is "any" or "read-write" or "read-only" or "primary" or "standby" or "prefer-standby"
            ? v
            : throw new ArgumentException($"--db-url: unknown target_session_attrs '{v}'; use any, read-write, read-only, primary, standby or prefer-standby."),
        ["load_balance_hosts"] = (b, v) => b.LoadBalanceHosts = v switch
        {
            "disable" => false,
            "random" => true,
            _ => throw new ArgumentException($"--db-url: unknown load_balance_hosts '{v}'; use disable or random."),
        },
        // libpq: seconds, 0 = wait forever; Npgsql's Timeout is the same, at most 1024
        ["connect_timeout"] = (b, v) => b.Timeout = Integer("connect_timeout", v, 0, 1024),
        ["keepalives"] = (b, v) => b.TcpKeepAlive = Integer("keepalives", v, 0, 1) == 1,
        ["keepalives_idle"] = (b, v) => { b.TcpKeepAlive = true; b.TcpKeepAliveTime = Integer("keepalives_idle", v, 1, int.MaxValue); },
        ["keepalives_interval"] = (b, v) => { b.TcpKeepAlive = true; b.TcpKeepAliveInterval = Integer("keepalives_interval", v, 1, int.MaxValue); },
    };

    /// <summary>libpq parameters Npgsql cannot honour: refused with the reason rather than dropped without a word.</summary>
    private static readonly Dictionary<string, string> Unsupported = new(StringComparer.Ordinal)
    {
        ["keepalives_count"] = "Npgsql leaves the probe count to the operating system",
        ["tcp_user_timeout"] = "Npgsql does not set TCP_USER_TIMEOUT",
        ["service"] = "pg_service.conf is libpq's; put the service's settings in the URL",
        ["passfile"] = "give the password in the URL or the connection string, or set PGPASSFILE (Npgsql reads it)",
        ["sslcrl"] = "certificate revocation lists are not configurable in Npgsql",
        ["sslcrldir"] = "certificate revocation lists are not configurable in Npgsql",
        ["sslcompression"] = "SSL compression is obsolete and off",
        ["sslsni"] = "Npgsql always sends SNI",
        ["ssl_min_protocol_version"] = "Npgsql uses the operating system's TLS versions",
        ["ssl_max_protocol_version"] = "Npgsql uses the operating system's TLS versions",
        ["requirepeer"] = "Npgsql does not check the server process's user",
        ["replication"] = "replication connections are not what this tool opens",
        ["hostaddr"] = "give the address as the host",
    };

    private static int Integer(string name, string value, int min, int max) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max
            ? n
            : throw new ArgumentException($"--db-url: {name} must be a whole number from {min} to {max}, not '{value}'.");

    private static T Choice<T>(string name, string value) where T : struct, Enum =>
        Enum.TryParse<T>(value.Replace("-", ""), ignoreCase: true, out var choice) && Enum.IsDefined(choice) && !int.TryParse(value, out _)
            ? choice
            : throw new ArgumentException($"--db-url: unknown {name} '{value}'; use one of {string.Join(", ", Enum.GetNames<T>().Select(n => n.ToLowerInvariant()))}.");

    public DatabaseTarget WithDatabase(string database) =>
        new(new NpgsqlConnectionStringBuilder(ConnectionString) { Database = database });

    public NpgsqlDataSource CreateDataSource() => NpgsqlDataSource.Create(ConnectionString);

    /// <summary>Drops and recreates this database, connected to another one of the same server.</summary>
    public async Task RecreateAsync(CancellationToken ct = default)
    {
        var maintenance = WithDatabase(Database == "postgres" ? "template1" : "postgres");
        await using var source = maintenance.CreateDataSource();
        await using var connection = await source.OpenConnectionAsync(ct);
        var name = new NpgsqlCommandBuilder().QuoteIdentifier(Database);
        await using (var drop = new NpgsqlCommand($"drop database if exists {name} with (force)", connection))
            await drop.ExecuteNonQueryAsync(ct);
        await using var create = new NpgsqlCommand($"create database {name}", connection);
        await create.ExecuteNonQueryAsync(ct);
    }
}
