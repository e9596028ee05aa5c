using MentorStatus.Database.Migrations;
using MentorStatus.Database.Platform;
using MentorStatus.Database.Testing;

namespace MentorStatus.Database;

/// <summary>What `db reset` did, for the table it ends with.</summary>
public sealed record ResetResult(bool PlatformLayerInstalled, IReadOnlyList<MigrationResult> Reverted, IReadOnlyList<MigrationResult> Applied, MigrationResult? Seed);

/// <summary>
/// The db verbs over one target database: the engine, the platform layer and the pgTAP runner put together
/// in the order the Supabase CLI uses (platform, migrations, seed).
/// </summary>
public sealed class DatabaseWorkflow(ProjectLayout layout, DatabaseTarget target, MigrationOptions? options = null, IProgress<string>? progress = null,
    Microsoft.Extensions.Logging.ILogger? logger = null)
{
    public ProjectLayout Layout { get; } = layout;
    public DatabaseTarget Target { get; } = target;

    private MigrationRunner Runner(Npgsql.NpgsqlDataSource dataSource) =>
        new(dataSource, new MigrationSource(Layout), options, progress, logger);

    /// <summary>
    /// A local database is dropped and created anew. Any other database keeps its platform (auth, roles):
    /// every applied migration is rolled back with its rollback script, newest first, then all run again.
    /// </summary>
    public async Task<ResetResult> ResetAsync(CancellationToken ct = default)
    {
        new MigrationSource(Layout).LoadMigrations(); // refuse a broken file before destroying anything
        IReadOnlyList<MigrationResult> reverted = [];
        if (Target.IsLocal)
        {
            progress?.Report($"recreating database {Target.Database}…");
            await Target.RecreateAsync(ct);
        }
        await using var dataSource = Target.CreateDataSource();
        var installed = await SupabasePlatformLayer.EnsureAsync(dataSource, ct);
        var runner = Runner(dataSource);
        if (!Target.IsLocal)
        {
            var plan = await runner.PlanAsync(ct);
            if (plan.Applied.Count > 0) reverted = await runner.DownAsync(plan.Applied.Count, ct);
        }
        // A reset applies every file, older ones included: nothing is applied at this point but what it keeps.
        var applied = await new MigrationRunner(dataSource, new MigrationSource(Layout), (options ?? new()) with { IncludeAll = true }, progress, logger)
            .UpAsync(ct);
        var seed = await runner.SeedAsync(ct);
        return new ResetResult(installed, reverted, applied, seed);
    }

    public async Task<IReadOnlyList<MigrationResult>> UpAsync(CancellationToken ct = default)
    {
        await using var dataSource = Target.CreateDataSource();
        await SupabasePlatformLayer.EnsureAsync(dataSource, ct);
        return await Runner(dataSource).UpAsync(ct);
    }

    public async Task<IReadOnlyList<MigrationResult>> DownAsync(int last, CancellationToken ct = default)
    {
        await using var dataSource = Target.CreateDataSource();
        return await Runner(dataSource).DownAsync(last, ct);
    }

    public async Task<MigrationPlan> StatusAsync(CancellationToken ct = default)
    {
        await using var dataSource = Target.CreateDataSource();
        return await Runner(dataSource).PlanAsync(ct);
    }

    public async Task RepairAsync(string version, bool applied, CancellationToken ct = default)
    {
        await using var dataSource = Target.CreateDataSource();
        await Runner(dataSource).RepairAsync(version, applied, ct);
    }

    /// <summary>Runs every pgTAP file of supabase/tests, each on its own connection.</summary>
    public async Task<IReadOnlyList<PgTapFileResult>> TestAsync(IProgress<PgTapFileResult>? each = null, CancellationToken ct = default)
    {
        await using var dataSource = Target.CreateDataSource();
        await PgTapRunner.EnsureAvailableAsync(dataSource, ct);
        var results = new List<PgTapFileResult>();
        foreach (var file in PgTapRunner.Discover(Layout))
        {
            var result = await PgTapRunner.RunFileAsync(dataSource, file, Layout.Display(file), ct);
            each?.Report(result);
            results.Add(result);
        }
        return results;
    }

    /// <summary>
    /// Why <paramref name="name"/> cannot name a migration, or null. Only lower-case letters, digits and underscores, matched
    /// to the very end (\z: "$" would let a trailing newline through, and a file named so is one the engine never finds).
    /// </summary>
    public static string? MigrationNameProblem(string name)
    {
        if (System.Text.RegularExpressions.Regex.IsMatch(name, @"\A[a-z0-9][a-z0-9_]*\z")) return null;
        var control = name.FirstOrDefault(char.IsControl);
        var shown = string.Concat(name.Take(100).Select(c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString()));
        return control != default
            ? $"migration name '{shown}' contains a control character (U+{(int)control:X4}); it must be lower-case letters, digits and underscores, e.g. add_mentor_notes."
            : $"migration name '{shown}' must be lower-case letters, digits and underscores, e.g. add_mentor_notes.";
    }

    /// <summary>Creates supabase/migrations/&lt;UTC timestamp&gt;_NAME.sql and its rollback.</summary>
    public static (string Migration, string Rollback) NewMigration(ProjectLayout layout, string name, DateTimeOffset now)
    {
        if (MigrationNameProblem(name) is { } problem) throw new MigrationException(problem);
        var version = now.UtcDateTime.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture);
        var fileName = $"{version}_{name}.sql";
        var migration = Path.Combine(layout.MigrationsDirectory, fileName);
        var rollback = Path.Combine(layout.RollbacksDirectory, fileName);
        if (File.Exists(migration)) throw new MigrationException($"{layout.Display(migration)} exists already; wait a second or pick another name.");
        Directory.CreateDirectory(layout.MigrationsDirectory);
        Directory.CreateDirectory(layout.RollbacksDirectory);
        File.WriteAllText(migration,
            $"-- {name}\n-- Runs in one transaction with its journal row. A statement that cannot run in a transaction\n" +
            "-- (create index concurrently, vacuum, …) must be alone in a file of its own.\n\n");
        File.WriteAllText(rollback,
            $"-- Rollback of {fileName}: undo exactly what it does, newest change first, so that\n" +
            "-- up then down leaves the schema as it was (the tests compare schema snapshots).\n\n");
        return (migration, rollback);
    }
}
