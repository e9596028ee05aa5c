using MentorStatus.Database.Migrations;
using MentorStatus.Database.Platform;
using MentorStatus.Database;
using MentorStatus.Tooling.Platform;
using Npgsql;

namespace MentorStatus.Tooling.Lint;

public sealed record LintOptions
{
    /// <summary>Lint every migration, not only those pending on the target database.</summary>
    public bool All { get; init; }

    /// <summary>Overrides how the project deploys (supabase/lint.toml), from the command line; null reads the project.</summary>
    public LockTimeoutOverride? LockTimeout { get; init; }

    /// <summary>The project's settings; null reads them from <see cref="ProjectLayout"/> (supabase/lint.toml, config.toml, CI files).</summary>
    public LintSettings? Settings { get; init; }

    /// <summary>
    /// The versions already applied, read by the caller elsewhere: the files not in it are linted. Null reads the
    /// target database's journal. `db rehearse` reads it from the source, so its lint can run while the copy (and
    /// with it the journal) is still being made on the server the lint uses.
    /// </summary>
    public IReadOnlySet<string>? Applied { get; init; }
}

/// <summary>A lock_timeout reading chosen on the command line: the session value of `db up`, or strict (the file's own only).</summary>
public sealed record LockTimeoutOverride(TimeSpan? SessionLockTimeout)
{
    public static LockTimeoutOverride Strict { get; } = new((TimeSpan?)null);
    public static LockTimeoutOverride DbUp(TimeSpan timeout) => new(timeout);

    public string Reading => SessionLockTimeout is { } t
        ? $"lock_timeout: --lock-timeout given: replayed with the session lock_timeout `db up` sets ({t.TotalSeconds:0.###}s), so MS005 counts it"
        : "lock_timeout: strict (--strict-lock-timeout), only a lock_timeout set by the file itself counts (MS005)";
}

/// <summary>
/// `db lint`: replays the migrations in order on one throwaway database that starts with the platform layer, traces
/// each one to lint (pending on the target, or all), checks every rule on the trace, then applies its rollback in a
/// transaction that is rolled back and compares the schema with the one before the migration. Only a rollback that
/// cannot run in a transaction gets a copy of the database (CREATE DATABASE … TEMPLATE), because it commits.
/// The databases live on the target's server (the user needs CREATEDB) and are dropped afterwards.
/// </summary>
public sealed class MigrationLinter(ProjectLayout layout, DatabaseTarget server, LintOptions? options = null, IProgress<string>? progress = null)
{
    private static readonly IReadOnlyList<ILintRuleFamily> Families =
    [
        new LockRules(), new ColumnRules(), new ConstraintRules(), new DestructiveRules(),
        new TransactionRules(), new SupabaseExposureRules(), new ApiExposureRules(), new AppendOnlyRules(), new DataStatementRules(),
        new StatementRules(),
    ];

    private readonly LintOptions _options = options ?? new LintOptions();

    public async Task<LintReport> LintAsync(CancellationToken ct = default)
    {
        var settings = _options.Settings ?? LintSettings.Read(layout);
        var lockTimeout = _options.LockTimeout is { } chosen ? chosen.SessionLockTimeout : settings.DeployLockTimeout;
        var deploy = _options.LockTimeout?.SessionLockTimeout is not null ? DeployTool.DbUp : settings.Deploy;
        var source = new MigrationSource(layout);
        var migrations = LintInput.Discover(source);
        var selected = await SelectAsync(migrations, ct);
        var notes = new List<string> { _options.LockTimeout?.Reading ?? settings.LockTimeoutReading };
        if (!settings.RequireRollbacks) notes.Add("rollbacks: not required (supabase/lint.toml require_rollbacks = false): MS015 is off, MS016 checks the rollbacks that exist");
        if (selected.Count == 0)
        {
            notes.Add(migrations.Count == 0 ? "no migrations in supabase/migrations" : "no pending migration to lint (use --all to lint every migration)");
            return new LintReport([], [], notes);
        }

        var findings = new List<LintFinding>();
        var linted = new List<LintedMigration>();
        var times = new LintPhaseTimes();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        int statements = 0, replayed = 0;
        var last = migrations.ToList().IndexOf(selected[^1]);
        await using var scratch = new ScratchDatabases(server);
        string database;
        using (times.Time(LintPhaseTimes.Phase.StartUp))
        {
            database = await scratch.CloneAsync("template0", ct);
            await SupabasePlatformLayer.EnsureAsync(scratch.Sessions(database), ct);
            await ExtensionStandIns.EnsureHostedAsync(scratch.Sessions(database), ct);
        }

        // A file already applied that did not replay cleanly: not judged (it is history), but a failure in a later file may follow from it.
        string? appliedFailure = null;

        // One database carries the whole chain: each migration is replayed (and committed) on what the earlier ones left,
        // and its rollback is tried in a transaction that is rolled back, so no per-file copy of the database is needed.
        for (var i = 0; i <= last; i++)
        {
            var migration = migrations[i];
            var lint = selected.Contains(migration);
            progress?.Report($"{(lint ? "linting" : "applying")} {migration.DisplayPath}…");

            MigrationTrace trace;
            SchemaSnapshot? before = null;
            await using (var connection = await scratch.OpenAsync(database, ct))
            {
                if (lint)
                    using (times.Time(LintPhaseTimes.Phase.Catalog))
                        before = await SchemaSnapshot.ReadAsync(connection, ct, prepare: true);
                await using var tracer = new StatementTracer(connection, lockTimeout, settings.ExposedSchemas, token => scratch.OpenAsync(database, token), times);
                trace = await tracer.RunAsync(migration, lint, ct);
            }
            trace.Deploy = deploy;

            if (!lint)
            {
                // Pending mode: a file the target has applied is replayed only to build on. Its replay failures are not findings (of
                // it, nor of the files being judged); they are a note, and the messages of later failures name it as a possible cause.
                var firstFailure = migration.ParseError is { } unsplit ? $"it cannot be split into statements ({unsplit})"
                    : trace.Steps.FirstOrDefault(s => s.Error is not null) is { } step
                        ? $"statement {step.Statement.Number} (line {step.Statement.Line}) fails with SQLSTATE {step.Error!.SqlState}: {step.Error.MessageText}"
                        : null;
                if (firstFailure is not null)
                {
                    appliedFailure ??= $"{migration.DisplayPath}, already applied, did not replay on the lint server: {firstFailure}";
                    notes.Add($"{migration.DisplayPath} (already applied, not linted) does not replay cleanly on the lint server: {firstFailure}; " +
                              "the files after it were replayed on what did apply");
                }
                continue;
            }

            // The replay share: statements that ran (not BEGIN/COMMIT, not the ones that cannot run in a transaction) and did not fail.
            statements += trace.Steps.Count(s => !s.IsTransactionControl);
            replayed += trace.Steps.Count(s => !s.IsTransactionControl && s.Error is null && (s.Traced || s.StaticOnlyReason == "not linted"));
            var fileFindings = new List<LintFinding>();
            if (migration.ParseError is { } parseError)
                fileFindings.Add(LintFinding.ForFile(LintRules.StatementFailed, migration.DisplayPath,
                    $"the file cannot be split into statements: {parseError}; nothing of it was replayed") with { Line = migration.ParseErrorLine });
            var failures = trace.Steps.Where(s => s.Error is not null).ToList();
            foreach (var failed in failures)
                fileFindings.Add(LintFinding.For(LintRules.StatementFailed, migration.DisplayPath, failed.Statement,
                    $"statement {failed.Statement.Number} fails with SQLSTATE {failed.Error!.SqlState}: {failed.Error.MessageText}" +
                    (failed == failures[0] ? appliedFailure is null ? "" : $" (possibly because {appliedFailure})"
                        : $" (possibly because statement {failures[0].Statement.Number} failed)"),
                    failures.Count > 1 || failed != trace.Steps[^1]
                        ? "the failed statement was rolled back alone and the rest of the file replayed, so later findings are still reported"
                        : null));
            using (times.Time(LintPhaseTimes.Phase.Rules))
                fileFindings.AddRange(Families.SelectMany(f => f.Check(trace)).ToList());
            // Later files are replayed on what applied, also after a failed statement (they then see what the rest of this one created).
            if (trace.Failed || migration.ParseError is not null)
                trace.Notes.Add($"{migration.DisplayPath}: rollback not checked, the migration did not apply cleanly");
            else if (migration.RollbackPath is not null || settings.RequireRollbacks)
                using (times.Time(LintPhaseTimes.Phase.Rollback))
                    fileFindings.AddRange(await RollbackCheck.RunAsync(scratch, database, migration, layout, before!, lockTimeout, ct));
            findings.AddRange(LintAcknowledgements.Apply(migration.DisplayPath, migration.Sql, migration.Statements, fileFindings));
            linted.Add(new LintedMigration(migration.Version, migration.DisplayPath, migration.RollbackPath, trace.Notes));
            if (trace.Failed || migration.ParseError is not null)
                notes.Add($"{migration.DisplayPath} does not apply cleanly: each later migration was replayed on what did apply");
        }
        if (statements > 0)
            notes.Add($"replay: {replayed} of {statements} statements replayed ({100.0 * replayed / statements:0.#} %); " +
                      "the others failed (MS000) or cannot run in a transaction (checked statically)");
        times.Total = clock.Elapsed;
        return new LintReport(linted, findings, notes) { Times = times };
    }

    /// <summary>All with --all; otherwise the files the target database's journal does not list.</summary>
    private async Task<IReadOnlyList<LintInput>> SelectAsync(IReadOnlyList<LintInput> migrations, CancellationToken ct)
    {
        if (_options.All || migrations.Count == 0) return migrations;
        if (_options.Applied is { } known) return migrations.Where(m => !known.Contains(m.Version)).ToList();
        await using var dataSource = server.CreateDataSource();
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var applied = (await MigrationJournal.ReadAsync(connection, ct)).Select(a => a.Version).ToHashSet();
        return migrations.Where(m => !applied.Contains(m.Version)).ToList();
    }
}

/// <summary>MS015 missing rollback, MS016 a rollback that fails or does not bring the schema back to the snapshot before the migration.</summary>
internal static partial class RollbackCheck
{
    private const int MaxDifferencesShown = 20;

    public static async Task<IReadOnlyList<LintFinding>> RunAsync(ScratchDatabases scratch, string database, LintInput migration,
        ProjectLayout layout, SchemaSnapshot before, TimeSpan? lockTimeout, CancellationToken ct)
    {
        if (migration.RollbackPath is null)
            return [LintFinding.ForFile(LintRules.MissingRollback, migration.DisplayPath,
                $"no rollback: expected supabase/rollbacks/{migration.Version}_{migration.Name}.sql")];

        SchemaSnapshot after;
        try
        {
            var rollback = MigrationFile.Load(Path.Combine(layout.Root, migration.RollbackPath), migration.RollbackPath);
            after = rollback.IsNonTransactional
                ? await DropIndexInTransactionAsync(scratch, database, rollback, lockTimeout, ct)
                  ?? await OnCopyAsync(scratch, database, rollback, lockTimeout, ct)
                : await InTransactionAsync(scratch, database, rollback, lockTimeout, ct);
        }
        catch (MigrationException e)
        {
            return [LintFinding.ForFile(LintRules.RollbackMismatch, migration.DisplayPath, $"rollback {migration.RollbackPath} is invalid: {e.Message}")];
        }
        catch (PostgresException e)
        {
            return [LintFinding.ForFile(LintRules.RollbackMismatch, migration.DisplayPath,
                $"rollback {migration.RollbackPath} fails after the migration with SQLSTATE {e.SqlState}: {e.MessageText}")];
        }

        var differences = after.DifferencesFrom(before);
        if (differences.Count == 0) return [];
        var shown = differences.Take(MaxDifferencesShown).Select(d => LintFinding.Shorten(d, 200));
        var more = differences.Count > MaxDifferencesShown ? $"\n  … and {differences.Count - MaxDifferencesShown} more" : "";
        return [LintFinding.ForFile(LintRules.RollbackMismatch, migration.DisplayPath,
            $"after up then {migration.RollbackPath} the schema differs from before the migration in {differences.Count} place(s):\n  " +
            string.Join("\n  ", shown) + more)];
    }

    /// <summary>
    /// The usual rollback (one transaction): applied in a fresh session, read, then rolled back, which leaves the migrated
    /// database for the next file. Deferred constraints are checked before the read, where the commit would check them.
    /// </summary>
    private static async Task<SchemaSnapshot> InTransactionAsync(ScratchDatabases scratch, string database, MigrationFile rollback,
        TimeSpan? lockTimeout, CancellationToken ct)
    {
        await using var connection = await scratch.OpenAsync(database, ct);
        return await new StatementTracer(connection, lockTimeout).TryScriptAsync(rollback, () => SchemaSnapshot.ReadAsync(connection, ct, prepare: true), ct);
    }

    /// <summary>`drop index concurrently [if exists] NAME [restrict]`: one index, no CASCADE (the forms CONCURRENTLY accepts).</summary>
    [System.Text.RegularExpressions.GeneratedRegex(@"^drop index concurrently (?<exists>if exists )?(?<name>(?:""[^""]+""|[a-z_][a-z0-9_$]*)(?:\.(?:""[^""]+""|[a-z_][a-z0-9_$]*))?)(?<restrict> restrict)?$")]
    private static partial System.Text.RegularExpressions.Regex DropIndexConcurrently();

    /// <summary>
    /// The usual non-transactional rollback, `drop index concurrently` of one index, leaves the schema a plain DROP INDEX leaves:
    /// that runs in a transaction that is rolled back, without the copy of the database (its CREATE DATABASE and the
    /// checkpoint of its DROP DATABASE were most of a rollback check's time). Null when it does not apply, and then the copy
    /// gives the answer: an index of a partitioned table (CONCURRENTLY refuses it), or a drop that fails (the copy reports the
    /// error as the rollback would).
    /// </summary>
    private static async Task<SchemaSnapshot?> DropIndexInTransactionAsync(ScratchDatabases scratch, string database, MigrationFile rollback,
        TimeSpan? lockTimeout, CancellationToken ct)
    {
        if (DropIndexConcurrently().Match(rollback.Statements[0].Normalized) is not { Success: true } drop) return null;
        var name = drop.Groups["name"].Value;
        var sql = $"drop index {drop.Groups["exists"].Value}{name}{drop.Groups["restrict"].Value}";
        await using var connection = await scratch.OpenAsync(database, ct);
        return await new StatementTracer(connection, lockTimeout).TryDropIndexAsync(sql, name, () => SchemaSnapshot.ReadAsync(connection, ct, prepare: true), ct);
    }

    /// <summary>A rollback that cannot run in a transaction (e.g. DROP INDEX CONCURRENTLY) commits: it runs on a copy, dropped afterwards.</summary>
    private static async Task<SchemaSnapshot> OnCopyAsync(ScratchDatabases scratch, string database, MigrationFile rollback,
        TimeSpan? lockTimeout, CancellationToken ct)
    {
        var copy = await scratch.CloneAsync(database, ct);
        try
        {
            await using var connection = await scratch.OpenAsync(copy, ct);
            await new StatementTracer(connection, lockTimeout).ApplyScriptAsync(rollback, ct);
            return await SchemaSnapshot.ReadAsync(connection, ct, prepare: true);
        }
        finally
        {
            await scratch.DropAsync(copy, CancellationToken.None);
        }
    }
}
