using Npgsql;
using MentorStatus.Database.Migrations;
using MentorStatus.Database.Platform;
using MentorStatus.Database;
using MentorStatus.Tooling.Testing;

namespace MentorStatus.Tooling;

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
    /// Recreates the database: platform layer where missing, every migration, the seed. Only the project's own local cluster
    /// (<see cref="DestructiveConsent.ManagedDataDirectory"/>, proven by the server's data_directory) holding nothing but the
    /// project's objects is dropped and created anew without <see cref="DestructiveConsent.Confirmed"/>. Every other database
    /// needs it, and keeps its platform (auth, storage, roles) and everything else that is not the project's: every applied
    /// migration is rolled back with its rollback script, newest first, then all run again. Refusals change nothing.
    /// </summary>
    /// <exception cref="DestructiveTargetRefusedException">Not confirmed, or not the cluster it claims to be.</exception>
    public async Task<ResetResult> ResetAsync(DestructiveConsent consent, CancellationToken ct = default)
    {
        new MigrationSource(Layout).LoadMigrations(); // refuse a broken file before destroying anything
        if (consent.ManagedDataDirectory is null && !consent.Confirmed)
            throw new DestructiveTargetRefusedException(
                $"db reset: {Target.Display} was given by URL, so it is not this project's local cluster: a reset rolls back every applied " +
                $"migration there (with the data of their tables) and applies them again.{await DescribeForRefusalAsync(ct)} Nothing was changed.\n" +
                "  fix: if this is the database you mean, rerun with --yes (Supabase's auth, storage and anything else not the project's are kept); " +
                "for the project's local cluster, leave out --db-url.");
        if (consent.ManagedDataDirectory is { } dataDirectory)
        {
            await using var maintenance = Target.WithDatabase(Target.Database == "postgres" ? "template1" : "postgres").CreateDataSource();
            await DestructiveGuard.VerifyManagedClusterAsync(maintenance, dataDirectory, Target.Display, ct);
        }
        TargetContents contents;
        await using (var check = Target.CreateDataSource()) // its own pool: a recreate below ends every session of the database
        {
            try
            {
                contents = await DestructiveGuard.InspectAsync(check, Layout, ct);
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InvalidCatalogName && consent.ManagedDataDirectory is not null)
            {
                contents = new TargetContents([], []); // the project's cluster without that database yet: created below
            }
        }
        if (contents.HoldsMoreThanTheProject && !consent.Confirmed)
            throw new DestructiveTargetRefusedException(
                $"db reset: {Target.Display} holds more than this project: {contents.Describe()}. Dropping it would destroy those. Nothing was changed.\n" +
                "  fix: rerun with --yes to keep them (every applied migration is rolled back and applied again instead of dropping the database), " +
                "or remove them first.");
        var recreate = consent.ManagedDataDirectory is not null && !contents.HoldsMoreThanTheProject;
        IReadOnlyList<MigrationResult> reverted = [];
        if (recreate)
        {
            progress?.Report($"recreating database {Target.Database}…");
            await Target.RecreateAsync(ct);
        }
        else if (contents.HoldsMoreThanTheProject)
            progress?.Report($"keeping what is not the project's: {contents.Describe()}");
        await using var dataSource = Target.CreateDataSource();
        var installed = await SupabasePlatformLayer.EnsureAsync(dataSource, ct);
        var runner = Runner(dataSource);
        if (!recreate)
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

    /// <summary>What a database given by URL holds, for the refusal; nothing when it cannot be reached quickly.</summary>
    private async Task<string> DescribeForRefusalAsync(CancellationToken ct)
    {
        try
        {
            var quick = new NpgsqlConnectionStringBuilder(Target.ConnectionString) { Timeout = 5, CommandTimeout = 10, Pooling = false };
            await using var dataSource = NpgsqlDataSource.Create(quick);
            var contents = await DestructiveGuard.InspectAsync(dataSource, Layout, ct);
            return contents.HoldsMoreThanTheProject ? $" It holds {contents.Describe()}." : "";
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or System.Net.Sockets.SocketException or InvalidOperationException)
        {
            return "";
        }
    }

    public async Task<IReadOnlyList<MigrationResult>> UpAsync(CancellationToken ct = default)
    {
        await using var dataSource = Target.CreateDataSource();
        await SupabasePlatformLayer.EnsureAsync(dataSource, ct);
        return await Runner(dataSource).UpAsync(ct);
    }

    /// <summary>
    /// Reverts the newest <paramref name="last"/> applied migrations (their tables' data goes with them): on the project's
    /// own local cluster as asked, on any database given by URL only with <see cref="DestructiveConsent.Confirmed"/>.
    /// </summary>
    /// <exception cref="DestructiveTargetRefusedException">Not confirmed, or not the cluster it claims to be.</exception>
    public async Task<IReadOnlyList<MigrationResult>> DownAsync(int last, DestructiveConsent consent, CancellationToken ct = default)
    {
        if (last < 1) throw new MigrationException("--last must be at least 1.");
        if (consent.ManagedDataDirectory is null && !consent.Confirmed)
            throw new DestructiveTargetRefusedException(
                $"db down: {Target.Display} was given by URL, so it is not this project's local cluster: reverting a migration there drops what it " +
                "created, data included. Nothing was changed.\n  fix: if this is the database you mean, rerun with --yes; for the project's local cluster, leave out --db-url.");
        await using var dataSource = Target.CreateDataSource();
        if (consent.ManagedDataDirectory is { } dataDirectory)
            await DestructiveGuard.VerifyManagedClusterAsync(dataSource, dataDirectory, Target.Display, ct);
        return await Runner(dataSource).DownAsync(last, ct);
    }

    public async Task<MigrationPlan> StatusAsync(CancellationToken ct = default)
    {
        await using var dataSource = Target.CreateDataSource();
        return await Runner(dataSource).PlanAsync(ct);
    }

    /// <summary>
    /// Writes (applied) or removes (reverted) the journal row of <paramref name="version"/>; no migration SQL runs. It
    /// changes what `db up` will run, so as `db down`: on the project's own local cluster as asked, on any database given
    /// by URL only with <see cref="DestructiveConsent.Confirmed"/>. Bad input is reported first, whatever the target.
    /// </summary>
    /// <exception cref="DestructiveTargetRefusedException">Not confirmed, or not the cluster it claims to be.</exception>
    public async Task RepairAsync(string version, bool applied, DestructiveConsent consent, CancellationToken ct = default)
    {
        await using var dataSource = Target.CreateDataSource();
        var runner = Runner(dataSource);
        runner.RepairFile(version, applied);
        if (consent.ManagedDataDirectory is null && !consent.Confirmed)
            throw new DestructiveTargetRefusedException(
                $"db repair: {Target.Display} was given by URL, so it is not this project's local cluster: repairing rewrites its migration " +
                $"journal ({(applied ? $"{version} would be recorded as applied without its SQL running" : $"the next `db up` would run {version} again")}). " +
                "Nothing was changed.\n  fix: if this is the database you mean, rerun with --yes; for the project's local cluster, leave out --db-url.");
        if (consent.ManagedDataDirectory is { } dataDirectory)
            await DestructiveGuard.VerifyManagedClusterAsync(dataSource, dataDirectory, Target.Display, ct);
        await runner.RepairAsync(version, applied, ct);
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
