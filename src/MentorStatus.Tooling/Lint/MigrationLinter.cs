using MentorStatus.Database.Migrations;
using MentorStatus.Database.Platform;
using MentorStatus.Database;
using MentorStatus.Tooling.Platform;

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
            var fileFindings = LintRules.StatementFailedCheck.Check(migration, trace, appliedFailure).ToList();
            using (times.Time(LintPhaseTimes.Phase.Rules))
                fileFindings.AddRange(LintCheck.Run(LintRules.Checks, trace).ToList());
            // Later files are replayed on what applied, also after a failed statement (they then see what the rest of this one created).
            if (trace.Failed || migration.ParseError is not null)
                trace.Notes.Add($"{migration.DisplayPath}: rollback not checked, the migration did not apply cleanly");
            else if (migration.RollbackPath is not null || settings.RequireRollbacks)
                using (times.Time(LintPhaseTimes.Phase.Rollback))
                    fileFindings.AddRange(await LintRules.RollbackMismatchCheck.RunAsync(scratch, database, migration, layout, before!, lockTimeout, ct));
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
