using Npgsql;

namespace MentorStatus.Database.Migrations;

/// <summary>A row of the Supabase CLI's journal.</summary>
public sealed record AppliedMigration(string Version, string? Name, IReadOnlyList<string>? Statements)
{
    public string? NormalizedSql => Statements is null ? null : SqlScript.Normalize(string.Join(";\n", Statements));
}

/// <summary>
/// The journal shared with the Supabase CLI: <c>supabase_migrations.schema_migrations(version, statements, name)</c>
/// and <c>seed_files(path, hash)</c>, created exactly as the CLI creates them so both tools can work on one database.
/// </summary>
internal static class MigrationJournal
{
    public const string CreateJournal = """
        create schema if not exists supabase_migrations;
        create table if not exists supabase_migrations.schema_migrations (version text not null primary key);
        alter table supabase_migrations.schema_migrations add column if not exists statements text[];
        alter table supabase_migrations.schema_migrations add column if not exists name text;
        create table if not exists supabase_migrations.seed_files (path text not null primary key, hash text not null);
        """;

    private const string JournalExists = "select to_regclass('supabase_migrations.schema_migrations') is not null";
    private const string SelectApplied = "select version, name, statements from supabase_migrations.schema_migrations order by version";
    private const string InsertApplied = "insert into supabase_migrations.schema_migrations (version, name, statements) values ($1, $2, $3)";
    private const string UpsertApplied = """
        insert into supabase_migrations.schema_migrations (version, name, statements) values ($1, $2, $3)
        on conflict (version) do update set name = excluded.name, statements = excluded.statements
        """;
    private const string DeleteApplied = "delete from supabase_migrations.schema_migrations where version = $1";
    private const string UpsertSeed = """
        insert into supabase_migrations.seed_files (path, hash) values ($1, $2)
        on conflict (path) do update set hash = excluded.hash
        """;

    public static async Task EnsureAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        await SqlCommands.ExecuteAsync(connection, CreateJournal, ct);
    }

    public static async Task<IReadOnlyList<AppliedMigration>> ReadAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        if (!await SqlCommands.ScalarAsync<bool>(connection, JournalExists, ct)) return [];
        var applied = new List<AppliedMigration>();
        await using var command = new NpgsqlCommand(SelectApplied, connection);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            applied.Add(new AppliedMigration(
                reader.GetString(0),
                reader.IsDBNull(1) ? null : reader.GetString(1),
                reader.IsDBNull(2) ? null : reader.GetFieldValue<string[]>(2)));
        return applied;
    }

    public static Task InsertAsync(NpgsqlConnection connection, MigrationFile file, CancellationToken ct) =>
        SqlCommands.ExecuteAsync(connection, InsertApplied, ct, file.Version, file.Name, file.Statements.Select(s => s.Text).ToArray());

    public static Task UpsertAsync(NpgsqlConnection connection, MigrationFile file, CancellationToken ct) =>
        SqlCommands.ExecuteAsync(connection, UpsertApplied, ct, file.Version, file.Name, file.Statements.Select(s => s.Text).ToArray());

    public static Task DeleteAsync(NpgsqlConnection connection, string version, CancellationToken ct) =>
        SqlCommands.ExecuteAsync(connection, DeleteApplied, ct, version);

    public static Task RecordSeedAsync(NpgsqlConnection connection, string path, string hash, CancellationToken ct) =>
        SqlCommands.ExecuteAsync(connection, UpsertSeed, ct, path, hash);
}
