using MentorStatus.Database.Migrations;
using Npgsql;

namespace MentorStatus.Database.Platform;

/// <summary>
/// What Supabase provides before any migration runs (API roles, the auth schema with auth.users and
/// auth.uid(), default privileges on public), recreated on plain PostgreSQL where it is missing.
/// Never a migration: a real Supabase project already has it, and there this is a no-op.
/// </summary>
public static class SupabasePlatformLayer
{
    private const string ResourceName = "MentorStatus.Database.Platform.supabase_platform_layer.sql";

    private const string IsComplete = """
        select to_regrole('anon') is not null and to_regrole('authenticated') is not null
           and to_regrole('service_role') is not null and to_regrole('authenticator') is not null
           and to_regclass('auth.users') is not null and to_regprocedure('auth.uid()') is not null
           and to_regprocedure('auth.role()') is not null and to_regprocedure('auth.jwt()') is not null
           and to_regnamespace('extensions') is not null
           and to_regnamespace('storage') is not null
           and exists (select 1 from pg_extension where extname = 'pgcrypto')
           and exists (select 1 from pg_extension where extname = 'uuid-ossp')
        """;

    public static string Sql { get; } = ReadResource();

    /// <summary>Installs whatever part of the layer is missing; returns false when nothing was.</summary>
    public static async Task<bool> EnsureAsync(NpgsqlDataSource dataSource, CancellationToken ct = default)
    {
        // Roles are cluster-wide: two databases getting the layer at once (parallel lints, tests) can both see a role
        // missing and both create it; the loser fails with a unique violation and, retried, finds it there.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await EnsureOnceAsync(dataSource, ct);
            }
            catch (PostgresException e) when (attempt < 3 && e.SqlState is PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.DuplicateObject)
            {
            }
        }
    }

    private static async Task<bool> EnsureOnceAsync(NpgsqlDataSource dataSource, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using (var check = new NpgsqlCommand(IsComplete, connection))
            if ((bool)(await check.ExecuteScalarAsync(ct))!) return false;
        await using var transaction = await connection.BeginTransactionAsync(ct);
        foreach (var statement in SqlScript.Split(Sql))
        {
            await using var command = new NpgsqlCommand(statement.Text, connection, transaction);
            await command.ExecuteNonQueryAsync(ct);
        }
        await transaction.CommitAsync(ct);
        return true;
    }

    private static string ReadResource()
    {
        using var stream = typeof(SupabasePlatformLayer).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"embedded resource {ResourceName} is missing from the build");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
