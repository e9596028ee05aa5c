using Npgsql;

namespace MentorStatus.Tests.Security;

/// <summary>Someone calling the database through PostgREST: a database role and, for users, the JWT's sub.</summary>
public sealed record Actor(string Name, string DbRole, Guid? UserId)
{
    public static Actor Anon { get; } = new("anon", "anon", null);
    public static Actor ServiceRole { get; } = new("service_role", "service_role", null);
    public static Actor User(string name, Guid userId) => new(name, "authenticated", userId);

    /// <summary>The request.jwt.claims PostgREST sets for this actor.</summary>
    public string ClaimsJson => UserId is { } id
        ? $$"""{"sub":"{{id}}","role":"{{DbRole}}"}"""
        : $$"""{"role":"{{DbRole}}"}""";

    public override string ToString() => Name;
}

/// <summary>Acting as an API user exactly as PostgREST does it, inside the caller's transaction.</summary>
public static class PostgrestSession
{
    private static readonly HashSet<string> ApiRoles = ["anon", "authenticated", "service_role"];

    /// <summary>
    /// <c>set local role &lt;role&gt;</c> and <c>set_config('request.jwt.claims', …, true)</c>: both end with the
    /// transaction, which must be open.
    /// </summary>
    public static async Task ActAsAsync(this NpgsqlConnection connection, Actor actor)
    {
        if (!ApiRoles.Contains(actor.DbRole)) throw new ArgumentException($"not an API role: {actor.DbRole}");
        await connection.RunAsync($"set local role {actor.DbRole}");
        await connection.RunAsync("select set_config('request.jwt.claims', $1, true)", actor.ClaimsJson);
    }

    /// <summary>Back to the connection's own (owner) role, still inside the transaction.</summary>
    public static Task ResetRoleAsync(this NpgsqlConnection connection) => connection.RunAsync("reset role");

    public static async Task<int> RunAsync(this NpgsqlConnection connection, string sql, params object?[] values)
    {
        await using var command = Command(connection, sql, values);
        return await command.ExecuteNonQueryAsync();
    }

    public static async Task<T> ValueAsync<T>(this NpgsqlConnection connection, string sql, params object?[] values)
    {
        await using var command = Command(connection, sql, values);
        var result = await command.ExecuteScalarAsync();
        return result is DBNull or null ? default! : (T)result;
    }

    /// <summary>Every row as column name → value (DBNull as null).</summary>
    public static async Task<List<Dictionary<string, object?>>> RowsAsync(this NpgsqlConnection connection, string sql, params object?[] values)
    {
        await using var command = Command(connection, sql, values);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<Dictionary<string, object?>>();
        while (await reader.ReadAsync())
        {
            var row = new Dictionary<string, object?>();
            for (var i = 0; i < reader.FieldCount; i++) row[reader.GetName(i)] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            rows.Add(row);
        }
        return rows;
    }

    private static NpgsqlCommand Command(NpgsqlConnection connection, string sql, object?[] values)
    {
        var command = new NpgsqlCommand(sql, connection);
        foreach (var value in values) command.Parameters.Add(new NpgsqlParameter { Value = value ?? DBNull.Value });
        return command;
    }
}
