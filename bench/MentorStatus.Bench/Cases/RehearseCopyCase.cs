using System.Diagnostics;
using MentorStatus.Database;
using MentorStatus.Database.Rehearsal;

namespace MentorStatus.Bench.Cases;

/// <summary>
/// `db rehearse`'s copy of the bench database (its history rows, mentors and everything else) into a throwaway
/// cluster, against a plain `pg_dump -Fc | pg_restore` of the same database into a fresh cluster, alternating;
/// then the whole `db rehearse --sample 10` (cluster creation, copy, lint, rollback check) of the same source, with
/// nothing pending and with one pending safe migration (from a temp copy of the project's supabase/ folder).
/// </summary>
public static class RehearseCopyCase
{
    public const string Id = "rehearse_copy";

    public static async Task<CaseResult> RunAsync(BenchContext ctx, CancellationToken ct)
    {
        var result = new CaseResult(Id, "`db rehearse`: copy of the source vs plain pg_dump -Fc | pg_restore; --sample 10");
        var source = ctx.Cluster.Target(BenchContext.Database);
        var rows = await ctx.ScalarAsync<long>("select count(*) from public.peer_mentor_status_history", ct);
        var copy = new List<double>();
        var plain = new List<double>();
        var sampled = new List<double>();
        CopySummary? summary = null;
        CopySummary? sampleSummary = null;
        var phases = new List<IReadOnlyList<PhaseTiming>>();
        var pendingRuns = new List<double>();
        var pendingPhases = new List<IReadOnlyList<PhaseTiming>>();
        using var pendingProject = PendingMigrationProject.Create(ctx.Layout);
        for (var run = 1; run <= ctx.Size.Runs; run++)
        {
            ctx.Say($"rehearse copy, run {run}/{ctx.Size.Runs}: pg_dump -Fc | pg_restore, then the rehearse copy, then --sample 10…");
            await using (var cluster = await BenchCluster.CreateAsync("restore", null, ct))
            {
                await cluster.StartAsync(ct);
                plain.Add(await DumpRestoreAsync(cluster.Cluster.Installation.BinDirectory, source, cluster.Target("postgres"), ct));
            }
            var full = await RehearseAsync(ctx, source, null, ct);
            summary = full.Copy;
            copy.Add(full.Copy.Duration.TotalSeconds);
            var clock = Stopwatch.StartNew();
            var sample = await RehearseAsync(ctx, source, 10, ct);
            sampled.Add(clock.Elapsed.TotalSeconds);
            sampleSummary = sample.Copy;
            phases.Add(sample.Phases);
            clock.Restart();
            var pending = await RehearseAsync(ctx, source, 10, ct, layout: pendingProject.Layout);
            pendingRuns.Add(clock.Elapsed.TotalSeconds);
            pendingPhases.Add(pending.Phases);
            if (pending.Migrations.Count != 1 || pending.Migrations[0].Error is not null || pending.SchemaDifferences.Count > 0)
                throw new InvalidOperationException("the pending migration's rehearsal did not apply and roll back cleanly: the figure would not be the real use's");
        }
        // Once more with an empty initdb cache of its own: what the first rehearsal on a machine takes (it runs initdb and fills the cache).
        var coldCache = Directory.CreateTempSubdirectory("mentorstatus-bench-initdb-cache-");
        double cold;
        IReadOnlyList<PhaseTiming> coldPhases;
        try
        {
            var clock = Stopwatch.StartNew();
            coldPhases = (await RehearseAsync(ctx, source, 10, ct, coldCache.FullName)).Phases;
            cold = clock.Elapsed.TotalSeconds;
        }
        finally
        {
            coldCache.Delete(recursive: true);
        }

        result.Figures.Add(Figures.Compare(Id, $"copy of {rows:N0} history rows (+ mentors, all tables), indexes, constraints, ANALYZE", "s", copy,
            "pg_dump -Fc | pg_restore (same data, fresh cluster)", plain, "≤ 1.5× the baseline",
            (_, _, q) => q <= 1.5, (_, _, q) => q <= 1.5 ? $"met: {q:F2}×" : $"missed by {q - 1.5:F2}×: {q:F2}×"));
        result.Figures.Add(Figures.Compare(Id, "`db rehearse --sample 10`, whole command (cluster, copy, lint)", "s", sampled,
            null, null, "< 5 s", (v, _, _) => v < 5, (v, _, _) => v < 5 ? $"met: {v:F1} s" : $"missed: {v:F1} s"));
        result.Figures.Add(Figures.Compare(Id, "`db rehearse --sample 10` with one pending safe migration (whole command: cluster, copy, lint replay, migration, rollback)", "s",
            pendingRuns, "nothing pending (same runs)", sampled, "< 5 s", (v, _, _) => v < 5, (v, _, _) => v < 5 ? $"met: {v:F1} s" : $"missed: {v:F1} s"));
        result.Notes.Add($"Rehearse copy: {summary?.Method}; {summary?.Rows:N0} rows, {summary?.Bytes / 1048576.0:N0} MiB streamed in {ctx.Size.Runs} run(s), " +
                         $"timed from the roles dump to the end of ANALYZE (the cluster's initdb and start are not timed, as for the baseline). " +
                         $"Baseline: `pg_dump -Fc bench | pg_restore --no-owner --no-acl -d postgres`, one stream, no ANALYZE.");
        result.Notes.Add($"--sample 10 copied {sampleSummary?.Rows:N0} rows ({sampleSummary?.SampledTables} sampled tables); its time includes the throwaway " +
                         "cluster's files (a copy of the cached initdb: the full copy before it filled the cache), its start, the copy and the deletion. " +
                         "Nothing is pending on the bench database: no lint replay, migration or rollback is in this figure.");
        result.Notes.Add("--sample 10 by phase (median of the runs, seconds): " + PhaseMedians(phases) + ".");
        result.Notes.Add($"--sample 10 with one pending migration ({PendingMigrationProject.Description}, from a temp copy of supabase/) by phase " +
                         "(median of the runs, seconds; 'overlapped' phases ran beside others and are not in the sum): " + PhaseMedians(pendingPhases) + ".");
        result.Notes.Add($"--sample 10 with an empty initdb cache (the first rehearsal on a machine), once: {cold:F2} s; by phase: {PhaseMedians([coldPhases])}.");
        return result;
    }

    /// <summary>"initdb 1.52, server start 0.44, …" in the order the phases ran; a phase some runs lacked counts what the others measured.</summary>
    private static string PhaseMedians(List<IReadOnlyList<PhaseTiming>> runs)
    {
        var names = runs.SelectMany(r => r.Select(p => p.Phase)).Distinct();
        return string.Join(", ", names.Select(name =>
        {
            var times = runs.SelectMany(r => r.Where(p => p.Phase == name)).Select(p => p.Duration.TotalSeconds).Order().ToList();
            var median = times.Count % 2 == 1 ? times[times.Count / 2] : (times[times.Count / 2 - 1] + times[times.Count / 2]) / 2;
            var overlapped = runs.SelectMany(r => r.Where(p => p.Phase == name)).Any(p => p.Overlapped) ? " (overlapped)" : "";
            return $"{name} {median:F2}{overlapped}";
        }));
    }

    private static async Task<RehearsalReport> RehearseAsync(BenchContext ctx, DatabaseTarget source, double? sample, CancellationToken ct,
        string? initdbCache = null, ProjectLayout? layout = null) =>
        // The bench database has every migration of the project applied: with ctx.Layout nothing is pending, so this
        // times the copy (and its cleanup); the pending project adds one migration.
        await new MigrationRehearsal(layout ?? ctx.Layout, new RehearsalOptions
        {
            Source = source, SamplePercent = sample, AcceptWritableSource = true, // the bench owner; only read
            InitdbCacheFolder = initdbCache ?? InitdbCache.DefaultFolder(), // the user's own, as the CLI uses it
        }).RunAsync(ct);

    /// <summary>pg_dump -Fc piped into pg_restore; seconds.</summary>
    private static async Task<double> DumpRestoreAsync(string bin, DatabaseTarget source, DatabaseTarget target, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        using var dump = Process.Start(Tool(bin, "pg_dump", source, ["--format=custom"]))!;
        using var restore = Process.Start(Tool(bin, "pg_restore", target, ["--no-owner", "--no-acl", $"--dbname={target.Database}"], stdin: true))!;
        var restoreErr = restore.StandardError.ReadToEndAsync(ct);
        var dumpErr = dump.StandardError.ReadToEndAsync(ct);
        await dump.StandardOutput.BaseStream.CopyToAsync(restore.StandardInput.BaseStream, ct);
        restore.StandardInput.Close();
        await Task.WhenAll(dump.WaitForExitAsync(ct), restore.WaitForExitAsync(ct));
        if (dump.ExitCode != 0) throw new InvalidOperationException($"pg_dump failed: {await dumpErr}");
        await restoreErr; // errors on grants to roles the fresh cluster lacks are expected and ignored
        return clock.Elapsed.TotalSeconds;
    }

    private static ProcessStartInfo Tool(string bin, string tool, DatabaseTarget db, string[] args, bool stdin = false)
    {
        var info = new ProcessStartInfo(Path.Combine(bin, tool)) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = stdin };
        foreach (var a in args) info.ArgumentList.Add(a);
        var b = new Npgsql.NpgsqlConnectionStringBuilder(db.ConnectionString);
        info.Environment["PGHOST"] = b.Host;
        info.Environment["PGPORT"] = b.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        info.Environment["PGUSER"] = b.Username;
        info.Environment["PGPASSWORD"] = b.Password;
        info.Environment["PGDATABASE"] = b.Database;
        return info;
    }
}
