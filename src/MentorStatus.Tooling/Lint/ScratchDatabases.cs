using System.Text;
using Npgsql;
using MentorStatus.Database;

namespace MentorStatus.Tooling.Lint;

/// <summary>
/// Throwaway databases on the lint server, created with CREATE DATABASE … TEMPLATE, and dropped at the end
/// (also after a failure). Each database has a pool of its own: a connection closed and opened again is the same server
/// session, reset by Npgsql with DISCARD ALL (role, settings, temp tables, prepared statements, advisory locks), so it
/// behaves as a new session but keeps the server's catalog caches warm, which is most of what a catalog read costs.
/// The pool is emptied before a database is used as a template, which may have no open session when it is copied.
/// </summary>
internal sealed class ScratchDatabases(DatabaseTarget server) : IAsyncDisposable
{
    private static readonly CompositeFormat Create = CompositeFormat.Parse("create database {0} template {1}");
    private static readonly CompositeFormat Drop = CompositeFormat.Parse("drop database if exists {0} with (force)");

    private readonly string _prefix = $"mslint_{Environment.ProcessId}_{Guid.NewGuid().ToString("N")[..6]}_";
    private readonly List<string> _created = [];
    private readonly Dictionary<string, NpgsqlDataSource> _sessions = [];
    private NpgsqlDataSource? _admin;
    private int _counter;

    public async Task<string> CloneAsync(string template, CancellationToken ct)
    {
        if (_sessions.TryGetValue(template, out var sessions)) sessions.Clear();
        var name = _prefix + _counter++;
        await ExecuteAsync(string.Format(CultureInfo.InvariantCulture, Create, Quote(name), Quote(template)), ct);
        _created.Add(name);
        return name;
    }

    public async Task DropAsync(string name, CancellationToken ct)
    {
        if (_sessions.Remove(name, out var sessions)) await sessions.DisposeAsync();
        await ExecuteAsync(string.Format(CultureInfo.InvariantCulture, Drop, Quote(name)), ct);
        _created.Remove(name);
    }

    public DatabaseTarget Target(string name) => server.WithDatabase(name);

    /// <summary>A session on <paramref name="name"/> that starts as a new one would (see the class summary); dispose it to give it back.</summary>
    public async Task<NpgsqlConnection> OpenAsync(string name, CancellationToken ct) => await Sessions(name).OpenConnectionAsync(ct);

    /// <summary>The pool of <paramref name="name"/>; owned by this object.</summary>
    public NpgsqlDataSource Sessions(string name)
    {
        if (!_sessions.TryGetValue(name, out var sessions))
            _sessions[name] = sessions = NpgsqlDataSource.Create(
                new NpgsqlConnectionStringBuilder(Target(name).ConnectionString) { Pooling = true, NoResetOnClose = false }.ConnectionString);
        return sessions;
    }

    /// <summary>
    /// CREATE and DROP DATABASE on the target's database, through a pool owned (and closed) by this object: a global pool per
    /// target would keep an idle session on the server after the lint, for each database a lint was pointed at.
    /// </summary>
    private async Task ExecuteAsync(string sql, CancellationToken ct)
    {
        _admin ??= NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(server.ConnectionString) { Pooling = true, NoResetOnClose = false }.ConnectionString);
        await using var connection = await _admin.OpenConnectionAsync(ct);
        await SqlCommands.ExecuteAsync(connection, sql, ct);
    }

    private static string Quote(string name) => new NpgsqlCommandBuilder().QuoteIdentifier(name);

    public async ValueTask DisposeAsync()
    {
        foreach (var sessions in _sessions.Values) await sessions.DisposeAsync();
        _sessions.Clear();
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
        if (_admin is not null) await _admin.DisposeAsync();
        _admin = null;
    }
}
