using Npgsql;

namespace MentorStatus.Database;

/// <summary>
/// The one way the engine runs a statement on a connection it already holds: positional parameters ($1, $2…)
/// and no client-side timeout (a migration statement is bounded by the server's lock_timeout, not by Npgsql's 30 s).
/// </summary>
internal static class SqlCommands
{
    public static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken ct, params object[] values)
    {
        await using var command = Create(connection, sql, values);
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>The first column of the first row, or default when there is no row or it is NULL.</summary>
    public static async Task<T?> ScalarAsync<T>(NpgsqlConnection connection, string sql, CancellationToken ct, params object[] values)
    {
        await using var command = Create(connection, sql, values);
        var result = await command.ExecuteScalarAsync(ct);
        return result is DBNull or null ? default : (T)result;
    }

    private static NpgsqlCommand Create(NpgsqlConnection connection, string sql, object[] values)
    {
        var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
        foreach (var value in values) command.Parameters.Add(new NpgsqlParameter { Value = value });
        return command;
    }
}
