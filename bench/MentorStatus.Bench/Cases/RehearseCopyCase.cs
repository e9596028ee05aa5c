using System.Diagnostics;
using MentorStatus.Database;
using MentorStatus.Rehearsal;

namespace MentorStatus.Bench.Cases;

/// <summary>
/// The whole `db rehearse --load 4` of the bench database with one pending safe migration (from a temp copy of the
/// project's supabase/ folder): cluster, copy of every row, lint, the migration under 4 synthetic clients, rollback,
/// schema compare and deletion, against a plain `pg_dump -Fc | pg_restore` of the same database into a fresh cluster,
/// the two alternating which goes first; then the same command with `--sample 10`. Each rehearsal must end safe
/// (applied, rolled back, schema restored): a figure of a failed rehearsal would not be the real use's.
/// </summary>
public static class RehearseCopyCase
{
    public const string Id = "rehearse_copy";
    public const int LoadClients = 4;

    public static async Task<CaseResult> RunAsync(BenchContext ctx, CancellationToken ct)
    {
        var result = new CaseResult(Id, "`db rehearse --load 4` with one pending migration vs plain pg_dump -Fc | pg_restore; --sample 10");
        var source = ctx.Cluster.Target(BenchContext.Database);
        var rows = await ctx.ScalarAsync<long>("select count(*) from public.peer_mentor_status_history", ct);
        var plain = new List<double>();
        var whole = new List<double>();
        var copy = new List<double>();
        var sampled = new List<double>();
        CopySummary? summary = null;
        CopySummary? sampleSummary = null;
        var wholePhases = new List<IReadOnlyList<PhaseTiming>>();
        var samplePhases = new List<IReadOnlyList<PhaseTiming>>();
        using var pendingProject = PendingMigrationProject.Create(ctx.Layout);
        for (var run = 1; run <= ctx.Size.Runs; run++)
        {
            // alternating: odd runs start with the baseline, even runs with the rehearsal (the page cache favours the second)
            var baselineFirst = run % 2 == 1;
            ctx.Say($"rehearse, run {run}/{ctx.Size.Runs}: {(baselineFirst ? "pg_dump -Fc | pg_restore, then db rehearse" : "db rehearse, then pg_dump -Fc | pg_restore")} --load {LoadClients}, then --sample 10…");
            if (baselineFirst) plain.Add(await PlainDumpRestoreAsync(source, ct));
            var clock = Stopwatch.StartNew();
            var full = await RehearseAsync(ctx, source, null, pendingProject.Layout, ct);
            whole.Add(clock.Elapsed.TotalSeconds);
            if (!baselineFirst) plain.Add(await PlainDumpRestoreAsync(source, ct));
            summary = full.Copy;
            copy.Add(full.Copy.Duration.TotalSeconds);
            wholePhases.Add(full.Phases);
            clock.Restart();
            var sample = await RehearseAsync(ctx, source, 10, pendingProject.Layout, ct);
            sampled.Add(clock.Elapsed.TotalSeconds);
            sampleSummary = sample.Copy;
            samplePhases.Add(sample.Phases);
            ctx.Say($"  pg_dump | pg_restore {plain[^1]:F1} s; db rehearse {whole[^1]:F1} s (copy {copy[^1]:F1} s); --sample 10 {sampled[^1]:F1} s");
        }

        result.Figures.Add(Figures.Compare(Id,
            $"`db rehearse --load {LoadClients}`, whole command, {rows:N0} history rows (+ all tables), one pending migration: cluster, copy, lint, migration under load, rollback, compare, deletion",
            "s", whole, "pg_dump -Fc | pg_restore (same data, fresh cluster, same run, alternating)", plain, "≤ 1.0× the baseline",
            (_, _, q) => q <= 1.0, (_, _, q) => q <= 1.0 ? $"met: {q:F2}×" : $"missed by {q - 1.0:F2}×: {q:F2}×"));
        result.Figures.Add(Figures.Compare(Id, "copy alone (roles dump to the end of ANALYZE), same rehearsals", "s", copy,
            "pg_dump -Fc | pg_restore (same data, fresh cluster)", plain, "— (diagnostic)", (_, _, _) => null, (_, _, q) => $"{q:F2}×"));
        result.Figures.Add(Figures.Compare(Id, $"`db rehearse --sample 10 --load {LoadClients}`, whole command, one pending migration", "s", sampled,
            null, null, "< 10 s", (v, _, _) => v < 10, (v, _, _) => v < 10 ? $"met: {v:F1} s" : $"missed: {v:F1} s"));
        result.Notes.Add($"Pending migration: {PendingMigrationProject.Description} (a temp copy of supabase/); every rehearsal ended safe, rolled back, schema restored.");
        result.Notes.Add($"Rehearse copy: {summary?.Method}; {summary?.Rows:N0} rows, {summary?.Bytes / 1048576.0:N0} MiB streamed. " +
                         "The rehearsal is timed whole (source check to folder deletion); the baseline from pg_dump's start to pg_restore's end " +
                         "(its cluster's initdb, start and deletion not timed). Baseline: `pg_dump -Fc bench | pg_restore --no-owner --no-acl -d postgres`, " +
                         "one stream, no ANALYZE, a default cluster.");
        result.Notes.Add($"--sample 10 copied {sampleSummary?.Rows:N0} rows ({sampleSummary?.SampledTables} sampled tables).");
        result.Notes.Add("db rehearse by phase (median of the runs, seconds; 'overlapped' phases ran beside others and are not in the sum): " + PhaseMedians(wholePhases) + ".");
        result.Notes.Add("--sample 10 by phase (median of the runs, seconds): " + PhaseMedians(samplePhases) + ".");
        result.Details["db rehearse phases, every run (seconds)"] = PhaseTable(wholePhases);
        result.Details["--sample 10 phases, every run (seconds)"] = PhaseTable(samplePhases);
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

    /// <summary>One line per phase, one column per run.</summary>
    private static string PhaseTable(List<IReadOnlyList<PhaseTiming>> runs)
    {
        var names = runs.SelectMany(r => r.Select(p => p.Phase)).Distinct();
        return string.Join('\n', names.Select(name =>
            $"{name}{(runs.SelectMany(r => r).Any(p => p.Phase == name && p.Overlapped) ? " (overlapped)" : "")}: " +
            string.Join(" | ", runs.Select(r => r.Where(p => p.Phase == name).Select(p => p.Duration.TotalSeconds).DefaultIfEmpty(double.NaN).Sum().ToString("F2", System.Globalization.CultureInfo.InvariantCulture)))));
    }

    private static async Task<RehearsalReport> RehearseAsync(BenchContext ctx, DatabaseTarget source, double? sample, ProjectLayout layout, CancellationToken ct)
    {
        var report = await new MigrationRehearsal(layout, new RehearsalOptions
        {
            Source = source, SamplePercent = sample, AcceptWritableSource = true, // the bench owner; only read
            LoadClients = LoadClients,
            InitdbCacheFolder = InitdbCache.DefaultFolder(), // the user's own, as the CLI uses it
        }).RunAsync(ct);
        if (!report.Ok || report.Migrations.Count != 1)
            throw new InvalidOperationException($"the pending migration's rehearsal did not end safe ({report.Verdict}): the figure would not be the real use's");
        return report;
    }

    /// <summary>A fresh default cluster (not timed), then pg_dump -Fc piped into pg_restore (timed); seconds.</summary>
    private static async Task<double> PlainDumpRestoreAsync(DatabaseTarget source, CancellationToken ct)
    {
        await using var cluster = await BenchCluster.CreateAsync("restore", null, ct);
        await cluster.StartAsync(ct);
        return await DumpRestoreAsync(cluster.Cluster.Installation.BinDirectory, source, cluster.Target("postgres"), ct);
    }

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
