using MentorStatus.Database;
using MentorStatus.Tooling.Lint;
using MentorStatus.Database.Migrations;
using MentorStatus.Database.Platform;
using MentorStatus.Tooling.Security;
using Npgsql;

namespace MentorStatus.Tooling.Declarative;

/// <summary>
/// Two throwaway databases on one server (the user needs CREATEDB), dropped on dispose: one with the platform layer and
/// every migration (what `db reset` builds, without the seed), one with the platform layer and the declarative files.
/// `db diff` and the CI check compare them; `db diff -f` also tries its draft on a copy of the first.
/// </summary>
public sealed class DeclarativeWorkbench : IAsyncDisposable
{
    private readonly ScratchDatabases _scratch;

    public ProjectLayout Layout { get; }
    public string MigrationsDatabase { get; }
    public string DeclaredDatabase { get; }
    public IReadOnlyList<string> ExposedSchemas { get; }

    private DeclarativeWorkbench(ProjectLayout layout, ScratchDatabases scratch, string migrations, string declared)
    {
        Layout = layout;
        _scratch = scratch;
        MigrationsDatabase = migrations;
        DeclaredDatabase = declared;
        ExposedSchemas = SecurityScope.ForProject(layout).ExposedSchemas;
    }

    public static async Task<DeclarativeWorkbench> CreateAsync(ProjectLayout layout, DatabaseTarget server, IProgress<string>? progress = null,
        CancellationToken ct = default)
    {
        var scratch = new ScratchDatabases(server);
        try
        {
            progress?.Report("building a throwaway database from the migrations…");
            var migrations = await scratch.CloneAsync("template0", ct);
            await SupabasePlatformLayer.EnsureAsync(scratch.Sessions(migrations), ct);
            await new MigrationRunner(scratch.Sessions(migrations), new MigrationSource(layout), new MigrationOptions { IncludeAll = true })
                .UpAsync(ct);

            progress?.Report("building a throwaway database from supabase/schemas…");
            var declared = await scratch.CloneAsync("template0", ct);
            await SupabasePlatformLayer.EnsureAsync(scratch.Sessions(declared), ct);
            await new DeclarativeSchema(layout).ApplyAsync(scratch.Sessions(declared), ct);
            return new DeclarativeWorkbench(layout, scratch, migrations, declared);
        }
        catch
        {
            await scratch.DisposeAsync();
            throw;
        }
    }

    public NpgsqlDataSource Sessions(string database) => _scratch.Sessions(database);

    public Task<SchemaComparison> CompareAsync(CancellationToken ct = default) =>
        SchemaComparison.CompareAsync(Sessions(MigrationsDatabase), Sessions(DeclaredDatabase), ExposedSchemas, ct);

    /// <summary>A copy of the migrations' database (to try a draft on), dropped with the workbench.</summary>
    public Task<string> CopyOfMigrationsAsync(CancellationToken ct = default) => _scratch.CloneAsync(MigrationsDatabase, ct);

    public Task DropAsync(string database, CancellationToken ct = default) => _scratch.DropAsync(database, ct);

    public ValueTask DisposeAsync() => _scratch.DisposeAsync();
}
