using MentorStatus.Database;
using MentorStatus.Database.Migrations;
using MentorStatus.Database.Platform;
using MentorStatus.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace MentorStatus;

/// <summary>
/// The library's schema, embedded in this assembly (supabase/migrations and supabase/rollbacks of the build), and
/// the call that applies it, as EF Core's <c>Database.MigrateAsync</c> does for a DbContext.
/// </summary>
public static class MentorStatusMigrations
{
    /// <summary>Logical-name prefix of the embedded files: <c>MentorStatus/supabase/migrations/&lt;file&gt;</c>.</summary>
    public const string ResourcePrefix = "MentorStatus/supabase/";

    /// <summary>The migrations this build was made for.</summary>
    public static MigrationSource Source { get; } = MigrationSource.FromAssembly(typeof(MentorStatusMigrations).Assembly, ResourcePrefix);

    /// <summary>
    /// Applies the pending migrations of this build, in version order, with the command line's engine: the same journal
    /// (<c>supabase_migrations.schema_migrations</c>, shared with the Supabase CLI) and the same advisory lock, so
    /// several instances starting at once, or `mentorstatus db up` running beside them, apply each file once. On plain
    /// PostgreSQL the Supabase platform layer (roles, auth schema) is installed first; on Supabase it is already there.
    /// The journal may hold the application's own migrations too: those are left alone. Connect directly (port 5432),
    /// not through a transaction pooler: the lock is a session lock.
    /// </summary>
    /// <param name="connectionString">An Npgsql connection string or a postgresql:// URL (a role that may run DDL).</param>
    /// <param name="loggers">Each file applied is logged (event ids 4000–4004, category MentorStatus.Migrations).</param>
    /// <param name="ct">Cancels between statements; a file's transaction is rolled back.</param>
    /// <returns>The files applied, in order (none when the database is up to date).</returns>
    public static async Task<IReadOnlyList<MigrationResult>> ApplyAsync(string connectionString, ILoggerFactory? loggers = null, CancellationToken ct = default)
    {
        // A data source of its own, without auto-prepare: DDL would invalidate statements prepared on the library's pool.
        var builder = new NpgsqlDataSourceBuilder(DatabaseTarget.Parse(connectionString).ConnectionString);
        if (loggers is not null) builder.UseLoggerFactory(new StatementLogFilter(loggers));
        await using var dataSource = builder.Build();
        await SupabasePlatformLayer.EnsureAsync(dataSource, ct);
        return await new MigrationRunner(dataSource, Source, new MigrationOptions { SharedJournal = true },
            logger: loggers?.CreateLogger("MentorStatus.Migrations")).UpAsync(ct);
    }
}
