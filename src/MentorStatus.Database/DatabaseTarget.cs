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
    }

    /// <summary>Loopback and Unix-socket hosts count as local: `db reset` needs no --yes there.</summary>
    public bool IsLocal => Host is "localhost" or "127.0.0.1" or "::1" || Host.StartsWith('/');

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
            if (kv[0] == "sslmode" && kv.Length == 2)
                builder.SslMode = Enum.TryParse<SslMode>(kv[1].Replace("-", ""), ignoreCase: true, out var mode) && Enum.IsDefined(mode)
                    ? mode
                    : throw new ArgumentException(
                        $"--db-url: unknown sslmode '{kv[1]}'; use one of {string.Join(", ", Enum.GetNames<SslMode>().Select(n => n.ToLowerInvariant()))} (e.g. ?sslmode=disable for a local server).");
        }
        return new DatabaseTarget(builder);
    }

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
