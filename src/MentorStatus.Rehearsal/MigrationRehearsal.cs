using MentorStatus.Database.Migrations;
using MentorStatus.Database.Platform;
using MentorStatus.Database;
using MentorStatus.Tooling.Lint;
using Npgsql;

namespace MentorStatus.Rehearsal;

/// <summary>
/// `db rehearse`: copies the source (read-only) into a throwaway PostgreSQL 15, applies the pending migrations
/// there exactly as `db up` would (the same <see cref="MigrationRunner"/>, with a <see cref="StatementProbe"/>
/// watching each statement) while synthetic clients use the app, rolls them back with their rollback scripts,
/// compares the schema with the snapshot taken after the copy, and reports per statement with the lint's
/// findings beside the measured figures. The throwaway cluster is deleted at the end, whatever the end was
/// (success, error, Ctrl+C), unless <see cref="RehearsalOptions.Keep"/>.
/// </summary>
public sealed class MigrationRehearsal(ProjectLayout layout, RehearsalOptions options, RehearsalProgress? progress = null)
{
    /// <summary>How long the clients run before the first migration (the latency baseline of the same run): at
    /// least this long and <see cref="BaselineCallsPerClient"/> calls per client, at most <see cref="BaselineLimit"/>.
    /// One second gives a few hundred calls at 4 clients: enough for the p50 and p99 the report sets beside each
    /// statement's (the verdicts never read the baseline).</summary>
    public static readonly TimeSpan BaselineWindow = TimeSpan.FromSeconds(1);
    public const int BaselineCallsPerClient = 20;

    /// <summary>The longest the rehearsal waits, after the last commit, for client calls that were waiting for it to end.</summary>
    public static readonly TimeSpan LastCallsLimit = TimeSpan.FromMilliseconds(200);
    public static readonly TimeSpan BaselineLimit = TimeSpan.FromSeconds(30);

    private readonly RehearsalProgress _progress = progress ?? new RehearsalProgress();

    public async Task<RehearsalReport> RunAsync(CancellationToken ct = default)
    {
        var clock = new PhaseClock();
        options.Validate();
        var source = new MigrationSource(layout);
        var files = source.LoadMigrations(); // refuse a broken migration file before copying anything

        _progress.Report("checking the source");
        await using var sourceConnection = await SourceCheck.OpenAsync(options.Source, ct);
        var facts = await SourceCheck.RunAsync(sourceConnection, ct);
        var notes = new List<string>();
        if (facts.WriteReasons.Count > 0)
        {
            if (!options.AcceptWritableSource) throw new WritableSourceException(facts.Role, facts.WriteReasons);
            notes.Add($"the source role {facts.Role} could write ({string.Join("; ", facts.WriteReasons)}): accepted with --i-know; it was only read, in read-only sessions");
        }
        clock.Lap(RehearsalPhases.SourceCheck);

        _progress.Report("creating a throwaway PostgreSQL 15 cluster");
        var cluster = await ThrowawayCluster.CreateAsync(options.WorkRoot, ct);
        var completed = false;
        RehearsalReport report;
        var copier = new DataCopy(options.Source, cluster, options, _progress, clock);
        using var stopReading = CancellationTokenSource.CreateLinkedTokenSource(ct);
        Task<SourceSchema>? reading = null;
        using var stopLint = CancellationTokenSource.CreateLinkedTokenSource(ct);
        EarlyLint? lint = null;
        try
        {
            // The source's roles, schema and copy plan are read while the server is made and started.
            reading = copier.ReadSchemaAsync(sourceConnection, stopReading.Token);
            await cluster.StartAsync(options.InitdbCacheFolder is { } cache ? new InitdbCache(cache) : null, clock, ct);
            var read = await reading;
            clock.Lap(RehearsalPhases.SourceReadWait);
            clock.Add(RehearsalPhases.SourceRead, read.Duration, overlapped: true);
            // The lint replays the pending migrations on empty scratch databases of the same server: it needs none of the
            // copied data, so it runs while the rows are copied, once the roles exist (they are cluster-wide, and the lint's
            // platform layer would otherwise race the copy's roles). The source's journal, from the copy's snapshot, says what is pending.
            var copy = await copier.RunAsync(sourceConnection, read, ct, () =>
            {
                var pendingOnSource = files.Select(f => f.Version).Where(v => !read.Applied.Contains(v)).ToHashSet();
                if (pendingOnSource.Count > 0) lint = StartLint(cluster.Target(options.Source.Database), read.Applied, pendingOnSource, stopLint.Token);
            });
            await sourceConnection.CloseAsync(); // everything is read: the source is not touched again
            report = await RehearseAsync(source, cluster, copier, copy, notes, clock, lint, stopLint, ct);
            completed = true;
            if (options.Keep)
                report = report with
                {
                    KeptClusterUrl = cluster.Target(options.Source.Database).UrlWithoutPassword, KeptClusterStopCommand = cluster.StopAndDeleteCommand,
                    KeptClusterPassFile = cluster.Cluster.PassFile, KeptClusterConnectCommand = cluster.ConnectCommand(options.Source.Database),
                };
        }
        catch (NpgsqlException e) when (e is not PostgresException)
        {
            throw new RehearsalException($"lost the connection during the rehearsal: {e.Message}", e);
        }
        finally
        {
            if (reading is not null)
            {
                // the start failed or was cancelled: the source's dump tools end before their folder is deleted
                await BackgroundTasks.CancelAndAwaitQuietlyAsync(stopReading, reading);
            }
            if (lint is not null)
            {
                // the copy failed or was cancelled while the lint ran beside it: it ends before its server is deleted
                await BackgroundTasks.CancelAndAwaitQuietlyAsync(stopLint, lint.Task);
            }
            if (options.Keep)
                _progress.Report($"kept the throwaway cluster in {cluster.Root}: {cluster.Target(options.Source.Database).UrlWithoutPassword}, " +
                                 $"its password in {cluster.Cluster.PassFile}; connect with: {cluster.ConnectCommand(options.Source.Database)}");
            else
            {
                try
                {
                    await cluster.DestroyAsync();
                }
                catch (Exception e) when (!completed)
                {
                    // the failure already on its way out says what went wrong: a cleanup error must not replace it
                    _progress.Report($"could not delete the throwaway cluster in {cluster.Root} ({e.Message}); delete it by hand");
                }
                clock.Lap(RehearsalPhases.StopAndDelete);
            }
        }
        return report with { Phases = clock.Phases };
    }

    /// <summary>
    /// A cleanup step of a finally block: its error surfaces when the work went well, and is only reported while
    /// the work's own failure is on its way out (that one says what went wrong; a cleanup error must not replace it).
    /// </summary>
    private async Task CleanUpAsync(string what, bool workCompleted, Func<Task> step)
    {
        try
        {
            await step();
        }
        catch (Exception e) when (!workCompleted)
        {
            _progress.Report($"{what} failed too: {e.Message}");
        }
    }

    private async Task<RehearsalReport> RehearseAsync(MigrationSource source, ThrowawayCluster cluster, DataCopy copier, CopySummary copy, List<string> notes,
        PhaseClock clock, EarlyLint? lint, CancellationTokenSource stopLint, CancellationToken ct)
    {
        var target = cluster.Target(options.Source.Database);
        // The migrations, their rollbacks and the clients run as the copy's unprivileged owner: a trigger, default or
        // function of the source that they set off runs as it, never as the superuser (CopyContainment).
        var owner = copier.OwnerTarget;
        await using var dataSource = owner.CreateDataSource();
        await using (var superuser = NpgsqlDataSource.Create(CopyContainment.SuperuserPinned(target, "mentorstatus-rehearse")))
        {
            // as `db up` does (a no-op on a copy of a Supabase project); only the superuser can make roles
            if (await SupabasePlatformLayer.EnsureAsync(superuser, ct))
            {
                await using var connection = await superuser.OpenConnectionAsync(ct);
                await copier.Containment.GrantRolesAsync(connection, ct);
            }
        }
        var runnerOptions = new MigrationOptions { LockTimeout = options.LockTimeout };
        var plan = await new MigrationRunner(dataSource, source, runnerOptions).PlanAsync(ct);
        var pending = plan.CheckUp(includeAll: false); // what `db up` would refuse is refused here too
        if (pending.Count == 0)
        {
            clock.Lap(RehearsalPhases.Plan);
            return new RehearsalReport(options.Source.Url.Split('@')[^1], copy, [], null, [], null, options.MaxBlock, null, notes);
        }
        // what the rollbacks must restore (read only when there is something to roll back)
        SchemaSnapshot before;
        await using (var connection = await dataSource.OpenConnectionAsync(ct))
            before = await SchemaSnapshot.ReadAsync(connection, ct);
        clock.Lap(RehearsalPhases.Plan);

        // The lint replays on empty scratch databases: still on the fast load settings, its timing does not matter.
        // It started during the copy with the source's journal; should the copy's journal say otherwise (a --tables
        // copy without it), the early one is dropped and the lint runs here on the copy's, as `db up` will see it.
        var pendingVersions = pending.Select(f => f.Version).ToHashSet();
        if (lint is not null && !lint.Pending.SetEquals(pendingVersions))
        {
            await BackgroundTasks.CancelAndAwaitQuietlyAsync(stopLint, lint.Task); // dropped: its result is not used
            lint = null;
        }
        var beside = lint is not null;
        // the copy's journal as its owner read it (a superuser never reads a table of the source's making)
        lint ??= StartLint(target, plan.Applied.Select(a => a.Version).ToHashSet(), pendingVersions, ct);
        var (findings, lintNote, lintTime) = await lint.Task;
        if (lintNote is not null) notes.Add(lintNote);
        if (beside)
        {
            clock.Lap(RehearsalPhases.LintWait);
            clock.Add(RehearsalPhases.Lint, lintTime, overlapped: true);
        }
        else clock.Lap(RehearsalPhases.LintAfterCopy); // it ran here, in the main flow: a phase of its own, not overlapped
        await cluster.RestoreDurabilityAsync(ct);
        clock.Lap(RehearsalPhases.Durability);

        await using var monitor = await ActivityMonitor.StartAsync(CopyContainment.SuperuserPinned(target, "mentorstatus-rehearse-monitor"), ct);
        SyntheticLoad? load = null;
        LoadBaseline? baseline = null;
        IReadOnlyList<ClientOperation>? operations = null;
        DateTime? loadStoppedEarly = null;
        var probe = new StatementProbe(monitor);
        string? failure = null;
        var completed = false;
        try
        {
            if (options.LoadClients > 0)
            {
                _progress.Report($"starting {options.LoadClients} synthetic clients (timeline + change_mentor_status)");
                load = await SyntheticLoad.StartAsync(owner, options.LoadClients, monitor.CurrentRelations, ct);
                var started = DateTime.UtcNow;
                await Task.Delay(BaselineWindow, ct);
                while (load.Operations().Count < options.LoadClients * BaselineCallsPerClient && DateTime.UtcNow - started < BaselineLimit)
                    await Task.Delay(100, ct);
                var ops = load.Operations().Select(o => o.Milliseconds).Order().ToList();
                baseline = new LoadBaseline(options.LoadClients, ops.Count, ImpactAnalysis.Percentile(ops, 0.5), ImpactAnalysis.Percentile(ops, 0.99),
                    ops.Count == 0 ? 0 : ops[^1]);
                clock.Lap(RehearsalPhases.LoadBaseline);
            }
            var runner = new MigrationRunner(dataSource, source, runnerOptions with { Observer = probe }, new PhaseReporter(_progress));
            try
            {
                await runner.UpAsync(ct);
            }
            catch (MigrationFailedException e)
            {
                failure = e.Message;
            }
            // Let the clients that waited for the last commit finish their call, so it is measured (no clients, no
            // wait): only as long as a call that started before the end is still running, at most LastCallsLimit.
            if (load is not null) await load.WaitForCallsStartedBeforeAsync(DateTime.UtcNow, LastCallsLimit, ct);
            completed = true;
        }
        finally
        {
            if (load is not null)
                await CleanUpAsync("stopping the synthetic clients", completed, async () =>
                {
                    try
                    {
                        await load.StopAsync();
                        operations = load.Operations();
                        loadStoppedEarly = load.StoppedEarly;
                    }
                    finally
                    {
                        await load.DisposeAsync();
                    }
                });
            await CleanUpAsync("stopping the activity monitor", completed, monitor.StopAsync);
        }

        clock.Lap(RehearsalPhases.Migrations);
        foreach (var unfinished in probe.Statements.Where(s => s.End == default)) unfinished.End = unfinished.Released = unfinished.Start;
        var statements = ImpactAnalysis.Statements(probe.Statements, monitor, operations, findings, options.MaxBlock, loadStoppedEarly);
        var migrations = new List<MigrationRehearsalResult>();
        foreach (var file in pending)
        {
            // The runner loads the files itself: the same file is the same version.
            var mine = probe.Statements.Select((p, i) => (p, i)).Where(x => x.p.File.Version == file.Version).ToList();
            if (mine.Count == 0) break; // not reached: an earlier file failed
            var duration = mine.Max(x => x.p.Released) - mine[0].p.Start;
            var failed = failure is not null && probe.Statements[^1].File.Version == file.Version ? failure : null;
            migrations.Add(new MigrationRehearsalResult(file.Version, file.DisplayPath, duration,
                mine.Select(x => statements[x.i]).ToList(),
                findings.Where(f => f.File == file.DisplayPath && f.StatementNumber is null).Select(f => $"{f.Rule.Id} {f.Message}").ToList(),
                failed));
        }

        _progress.Report("rolling back with supabase/rollbacks and comparing the schema");
        var (differences, rollbackError) = await RollBackAsync(dataSource, source, runnerOptions, pending, before, ct);
        clock.Lap(RehearsalPhases.Rollback);
        return new RehearsalReport(options.Source.Url.Split('@')[^1], copy, migrations, baseline, differences, rollbackError, options.MaxBlock, null, notes);
    }

    /// <summary>Reverts what the rehearsal applied, newest first, as `db down` does, and compares with the snapshot taken after the copy.</summary>
    private static async Task<(IReadOnlyList<string> Differences, string? Error)> RollBackAsync(NpgsqlDataSource dataSource, MigrationSource source,
        MigrationOptions runnerOptions, IReadOnlyList<MigrationFile> pending, SchemaSnapshot before, CancellationToken ct)
    {
        var runner = new MigrationRunner(dataSource, source, runnerOptions);
        var pendingVersions = pending.Select(f => f.Version).ToHashSet();
        var applied = (await runner.PlanAsync(ct)).Applied.Count(a => pendingVersions.Contains(a.Version));
        string? error = null;
        try
        {
            if (applied > 0) await runner.DownAsync(applied, ct);
        }
        catch (MigrationException e)
        {
            error = e.Message;
        }
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var after = await SchemaSnapshot.ReadAsync(connection, ct);
        return (after.DifferencesFrom(before), error);
    }

    /// <summary>The lint running beside the copy, and the versions it lints.</summary>
    private sealed record EarlyLint(Task<(IReadOnlyList<LintFinding> Findings, string? Note, TimeSpan Duration)> Task, IReadOnlySet<string> Pending);

    /// <summary>
    /// Starts the lint of the pending migrations on empty scratch databases of the throwaway server (the files not in
    /// <paramref name="applied"/>; null reads the copy's journal). A lint that cannot run is a note, not a failure.
    /// </summary>
    private EarlyLint StartLint(DatabaseTarget target, IReadOnlySet<string>? applied, IReadOnlySet<string> pending, CancellationToken ct)
    {
        _progress.Report("linting the pending migrations");
        var lintOptions = new LintOptions { LockTimeout = LockTimeoutOverride.DbUp(options.LockTimeout), Applied = applied };
        return new EarlyLint(Task.Run(async () =>
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            try
            {
                var report = await new MigrationLinter(layout, target, lintOptions).LintAsync(ct);
                return (report.Findings, (string?)null, clock.Elapsed);
            }
            catch (Exception e) when (e is MigrationException or NpgsqlException && !ct.IsCancellationRequested)
            {
                return ((IReadOnlyList<LintFinding>)[], $"the lint could not run on the copy ({e.Message}); measured figures only", clock.Elapsed);
            }
        }, CancellationToken.None), pending);
    }

    private sealed class PhaseReporter(RehearsalProgress progress) : IProgress<string>
    {
        public void Report(string value) => progress.Report(value.TrimEnd('…'));
    }
}
