using System.Text;
using Npgsql;

namespace MentorStatus.Database.Lint;

/// <summary>
/// Throwaway databases on the lint server, cloned with CREATE DATABASE … TEMPLATE, and dropped at the end
/// (also after a failure). Connections are unpooled: a template may have no open session when it is cloned.
/// </summary>
internal sealed class ScratchDatabases(DatabaseTarget server) : IAsyncDisposable
{
    private static readonly CompositeFormat Create = CompositeFormat.Parse("create database {0} template {1}");
    private static readonly CompositeFormat Drop = CompositeFormat.Parse("drop database if exists {0} with (force)");

    private readonly string _prefix = $"mslint_{Environment.ProcessId}_{Guid.NewGuid().ToString("N")[..6]}_";
    private readonly List<string> _created = [];
    private int _counter;

    public async Task<string> CloneAsync(string template, CancellationToken ct)
    {
        var name = _prefix + _counter++;
        await ExecuteAsync(string.Format(CultureInfo.InvariantCulture, Create, Quote(name), Quote(template)), ct);
        _created.Add(name);
        return name;
    }

    public async Task DropAsync(string name, CancellationToken ct)
    {
        await ExecuteAsync(string.Format(CultureInfo.InvariantCulture, Drop, Quote(name)), ct);
        _created.Remove(name);
    }

    public DatabaseTarget Target(string name) => server.WithDatabase(name);

    public async Task<NpgsqlConnection> OpenAsync(string name, CancellationToken ct)
    {
        var builder = new NpgsqlConnectionStringBuilder(Target(name).ConnectionString) { Pooling = false };
        var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync(ct);
        return connection;
    }

    public NpgsqlDataSource DataSource(string name) =>
        NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(Target(name).ConnectionString) { Pooling = false }.ConnectionString);

    private async Task ExecuteAsync(string sql, CancellationToken ct)
    {
        var builder = new NpgsqlConnectionStringBuilder(server.ConnectionString) { Pooling = false };
        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync(ct);
        await SqlCommands.ExecuteAsync(connection, sql, ct);
    }

    private static string Quote(string name) => new NpgsqlCommandBuilder().QuoteIdentifier(name);

    public async ValueTask DisposeAsync()
    {
        foreach (var name in _created.ToList())
        {
            try
            {
                await DropAsync(name, CancellationToken.None);
            }
            catch (NpgsqlException)
            {
                // best effort: a leftover mslint_* database is harmless and named after its process
            }
        }
    }
}
