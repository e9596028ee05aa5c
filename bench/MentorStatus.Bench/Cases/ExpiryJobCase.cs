using System.Diagnostics;

namespace MentorStatus.Bench.Cases;

/// <summary>
/// The certification-expiry job on the expired cohort (every mentor numbered above size.Mentors: active,
/// certification expired) against the floor written the same way (one UPDATE + one INSERT … SELECT with the job's
/// time-ordered history ids), and what concurrent writers wait for while it runs. Between runs the cohort is made
/// active again and the run's history rows are removed (as the table owner with triggers off), so every run starts
/// from the same state.
/// </summary>
public static class ExpiryJobCase
{
    public const string Id = "certification_expiry";
    /// <summary>At most this many mentors for the one-transaction-per-mentor loop (its time is scaled to the cohort).</summary>
    public const int PerMentorSample = 5_000;
    /// <summary>Every run of the job at most this many times the floor of the same run (the target).</summary>
    public const double TargetRatio = 1.25;
    /// <summary>The longest wait of a concurrent status change in any batch, at the default batch size (the target).</summary>
    public const double TargetLockWaitMs = 200;
    /// <summary>The batch-size curve (with the writers) runs in the first runs only, to keep a full-size bench under 10 minutes.</summary>
    public const int CurveRuns = 2;
    /// <summary>Batch sizes of the curve besides the default.</summary>
    private static readonly int[] CurveSizes = [1_000, 2_500, 5_000];

    /// <summary>Tables the paths write: autovacuum off on them during the case (restored after), see the notes.</summary>
    private static readonly string[] WrittenTables =
    [
        "public.peer_mentors", "public.peer_mentor_status_history", "public.status_job_runs",
        "public.coordinator_notifications", "public.coordinator_inbox",
    ];

    public static async Task<CaseResult> RunAsync(BenchContext ctx, CancellationToken ct)
    {
        var size = ctx.Size;
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        var batchSize = BenchSize.ExpiryBatchSize;
        var result = new CaseResult(Id, $"Certification-expiry job, {size.ExpiredMentors:N0} expired mentors");
        // the job on the library's own data source (no reset on close, auto-prepare), as the CLI and the worker run it:
        // on a resetting pool every batch's connection would start with DISCARD ALL and re-plan the trigger and key checks
        await using var library = MentorStatusDataSource.Create(StatusChangeCase.PoolConnectionString(ctx));
        var job = new LibraryExpiryJobPath(library, batchSize);
        // one commit per mentor is slow (a WAL flush each): timed on a sample and scaled, said so in the report
        var sample = Math.Min(size.ExpiredMentors, PerMentorSample);
        var perMentor = new RowByRowExpiryJobPath(ctx.Data, batchSize, transactionPerMentor: true, limit: sample);
        var floor = new PlainSqlFloorPath(ctx.Data);
        // the floor written the way the job writes: the same time-ordered history ids (UUID v7, 20261127170000)
        var lowFloor = new PlainSqlFloorPath(ctx.Data, timeOrderedIds: true);
        int[] curve = [.. CurveSizes.Where(b => b < size.ExpiredMentors && b != batchSize)];
        var curveRuns = Math.Min(CurveRuns, size.Runs);
        result.Notes.Add($"Job: {job.Name}, one transaction per batch.");
        result.Notes.Add($"The floor (the target's): {lowFloor.Name}: the same rows written by plain SQL with the job's time-ordered history " +
                         "ids (UUID v7, migration 20261127170000), no notifications, no batches, no run record.");
        result.Notes.Add($"Reference floor: {floor.Name} (random history ids, the column default).");
        result.Notes.Add($"Baseline: {perMentor.Name}" + (sample < size.ExpiredMentors
            ? $" — timed on the first {sample:N0} of the {size.ExpiredMentors:N0} mentors and scaled ×{(double)size.ExpiredMentors / sample:F0} " +
              "(linear: the same single-row transaction repeated); the full loop was NOT run at this size."
            : $", on all {size.ExpiredMentors:N0} mentors."));
        result.Notes.Add("Same treatment for every path: each starts right after a CHECKPOINT (the first change to a page after a checkpoint " +
                         "writes its full image to the WAL; the nightly job on PostgreSQL's 5-minute checkpoints nearly always runs in that state); " +
                         "autovacuum is off on the tables the paths write while the case runs (each path is followed by the same restore and a " +
                         "manual VACUUM ANALYZE, so autovacuum could only start in the middle of a path: of the job's, whose batches commit dead " +
                         "row versions as it goes, never of the floor's single transaction); one unmeasured run of the job and of the floor " +
                         "first (WAL segments created, hint bits set and caches filled alike before the first measured run); and the order " +
                         "alternates (odd runs: job, floor, reference floor; even runs: the reverse), so drift over a run falls on both sides.");
        result.Notes.Add($"Concurrent writers (a separate run of the job at each batch size, not the timed one): two connections in loops of their own " +
                         "transactions (begin; select … for update of one mentor, as change_mentor_status locks it first; commit; 2 ms pause). " +
                         "One takes mentors of the batch that is running, so it meets the batch's row locks; the other takes mentors outside the " +
                         "cohort and also reads their 50 newest history rows. Each wait is put on the batch that was running when it started; " +
                         "the index after the last batch is the run's finish (its notifications).");
        if (curve.Length > 0)
            result.Notes.Add($"Batch-size curve, with the writers: batches of {string.Join(", ", curve.Select(b => b.ToString("N0", inv)))} in the first " +
                             $"{curveRuns} run(s) only (time: a full-size bench stays under 10 minutes).");

        var times = new Dictionary<IExpiryJobPath, List<double>> { [job] = [], [floor] = [], [lowFloor] = [], [perMentor] = [] };
        // the paths whose server time is broken down by pg_stat_statements, and what the notes call them
        var profiled = new Dictionary<IExpiryJobPath, string> { [job] = "the job", [lowFloor] = "the floor" };
        var breakdowns = new Dictionary<IExpiryJobPath, string>();
        string perBatchNote = "";
        var written = new List<double>();
        int[] writerSizes = [batchSize, .. curve];
        var writerTimes = writerSizes.ToDictionary(b => b, _ => new List<double>());
        var inBatchWaits = writerSizes.ToDictionary(b => b, _ => new List<double>());
        var outsideWaits = writerSizes.ToDictionary(b => b, _ => new List<double>());
        var cohort = await CohortInJobOrderAsync(ctx, ct);
        await ctx.ExecAsync("create extension if not exists pg_stat_statements", ct);
        await SetAutovacuumAsync(ctx, enabled: false, ct);
        try
        {
            foreach (var path in new IExpiryJobPath[] { job, lowFloor })
            {
                ctx.Say($"certification expiry, warm-up: {path.Name}…");
                await MeasureAsync(ctx, path, size.ExpiredMentors, profile: false, ct);
            }
            for (var run = 1; run <= size.Runs; run++)
            {
                IExpiryJobPath[] order = run % 2 == 1 ? [job, lowFloor, floor] : [floor, lowFloor, job];
                foreach (var path in order)
                {
                    ctx.Say($"certification expiry, run {run}/{size.Runs}: {path.Name}…");
                    var (seconds, rows, breakdown) = await MeasureAsync(ctx, path, size.ExpiredMentors, profiled.ContainsKey(path), ct);
                    times[path].Add(seconds);
                    if (breakdown is not null) breakdowns[path] = breakdown;
                    if (path == job)
                    {
                        written.Add(rows);
                        perBatchNote = PerBatch(job.BatchMilliseconds);
                    }
                }
                foreach (var b in writerSizes)
                {
                    if (b != batchSize && run > curveRuns) continue;
                    ctx.Say($"certification expiry, run {run}/{size.Runs}: batches of {b:N0} with two concurrent writers…");
                    var (seconds, inBatch, outside) = await WithWritersAsync(ctx, library, cohort, b, ct);
                    writerTimes[b].Add(seconds);
                    inBatchWaits[b].Add(inBatch.Values.DefaultIfEmpty(0).Max());
                    outsideWaits[b].Add(outside.Values.DefaultIfEmpty(0).Max());
                    var batches = (size.ExpiredMentors + b - 1) / b;
                    string Row(IReadOnlyDictionary<int, double> w) => string.Join(", ",
                        Enumerable.Range(0, batches + 1).Select(i => w.TryGetValue(i, out var v) ? v.ToString("F0", inv) : "–"));
                    result.Notes.Add(string.Create(inv, $"Run {run}, batches of {b:N0}, longest wait per batch in ms (batch 1 … {batches}, then the finish): " +
                                                        $"on the running batch's mentors {Row(inBatch)}; outside the cohort {Row(outside)}."));
                }
                ctx.Say($"certification expiry, run {run}/{size.Runs}: {perMentor.Name}…");
                var (loopSeconds, _, _) = await MeasureAsync(ctx, perMentor, sample, profile: false, ct);
                // the per-mentor loop ran on a sample: scaled to all mentors
                times[perMentor].Add(loopSeconds * size.ExpiredMentors / sample);
            }
        }
        finally
        {
            await SetAutovacuumAsync(ctx, enabled: true, CancellationToken.None);
        }

        foreach (var (path, text) in breakdowns)
            result.Notes.Add($"Where the time went (pg_stat_statements, last run), {profiled[path]}: {text}");
        result.Notes.Add($"Per batch (last run), the job: {perBatchNote}");
        var (jobTimes, lowFloorTimes) = (times[job], times[lowFloor]);
        var perRun = jobTimes.Zip(lowFloorTimes, (j, f) => j / f).ToList();
        var perRunText = string.Join(", ", perRun.Select(q => q.ToString("F2", inv)));
        result.Figures.Add(Figures.Compare(Id, "wall time, set-based job vs the floor with the job's time-ordered ids", "s", jobTimes,
            "plain SQL floor, history ids time-ordered as the job's", lowFloorTimes, $"≤ {TargetRatio:F2}× the floor in every run",
            (_, _, _) => perRun.Count > 0 && perRun.Max() <= TargetRatio,
            (_, _, _) => perRun.Count > 0 && perRun.Max() <= TargetRatio
                ? $"met in every run: {perRunText}×"
                : $"missed: {perRun.Count(q => q > TargetRatio)} of {perRun.Count} runs over (per run {perRunText}×)"));
        result.Figures.Add(Figures.Compare(Id, "wall time, set-based job vs the plain-SQL floor with random ids", "s", jobTimes,
            "plain SQL floor, random history ids", times[floor], "— (reference)", (_, _, _) => null, (_, _, q) => $"{q:F2}× the random-id floor"));
        result.Figures.Add(Figures.Compare(Id, "wall time, floor with time-ordered ids vs the floor with random ids", "s", lowFloorTimes,
            "plain SQL floor, random history ids", times[floor], "— (diagnostic: what the ids are worth)", (_, _, _) => null, (_, _, q) => $"{q:F2}×"));
        result.Figures.Add(Figures.Compare(Id, "wall time, set-based job vs row-at-a-time loop", "s", jobTimes,
            sample < size.ExpiredMentors ? $"loop, a transaction per mentor (scaled from {sample:N0})" : "loop, a transaction per mentor", times[perMentor],
            "≥ 15× faster", (_, _, q) => q is { } x && 1 / x >= 15,
            (_, _, q) => q is { } x && 1 / x >= 15 ? $"met: {1 / x:F1}× faster" : $"missed: {1 / (q ?? double.NaN):F1}× faster, short of 15× by {15 - 1 / (q ?? double.NaN):F1}×"));
        foreach (var b in writerSizes)
        {
            var isDefault = b == batchSize;
            result.Figures.Add(Figures.Compare(Id, $"longest lock wait of a concurrent status change in any batch, batches of {b:N0}", "ms", inBatchWaits[b],
                null, null, isDefault ? $"≤ {TargetLockWaitMs:F0} ms in every batch" : "— (curve)",
                (v, _, _) => isDefault ? inBatchWaits[b].Max() <= TargetLockWaitMs : null,
                (v, _, _) => string.Create(inv, $"longest per run {string.Join(", ", inBatchWaits[b].Select(Figures.F))} ms") +
                             (isDefault ? (inBatchWaits[b].Max() <= TargetLockWaitMs ? " (met)" : " (missed)") : "")));
            result.Figures.Add(Figures.Compare(Id, $"longest wait of a writer outside the cohort (lock and timeline read), batches of {b:N0}", "ms", outsideWaits[b],
                null, null, "— (report)", (_, _, _) => null, (v, _, _) => $"{Figures.F(outsideWaits[b].Max())} ms at most"));
            result.Figures.Add(Figures.Compare(Id, $"wall time with the two writers, batches of {b:N0}", "s", writerTimes[b],
                "plain SQL floor, history ids time-ordered as the job's (without writers)", lowFloorTimes.Take(writerTimes[b].Count).ToList(),
                "— (diagnostic)", (_, _, _) => null, (_, _, q) => $"{q:F2}× the floor"));
        }
        result.Figures.Add(Figures.Compare(Id, "history rows written per run, set-based", "rows", written, null, null,
            $"= {size.ExpiredMentors:N0}", (v, _, _) => (long)v == size.ExpiredMentors, (v, _, _) => $"{v:N0}"));
        return result;
    }

    /// <summary>One timed run of a path after a checkpoint, checked (mentors paused = history rows = expected) and undone.</summary>
    private static async Task<(double Seconds, long Rows, string? Breakdown)> MeasureAsync(BenchContext ctx, IExpiryJobPath path, int expected, bool profile, CancellationToken ct)
    {
        var asOf = DateTimeOffset.UtcNow;
        await CheckpointAsync(ctx, ct);
        if (profile) await ctx.ExecAsync("select pg_stat_statements_reset()", ct);
        var clock = Stopwatch.StartNew();
        var (paused, runId) = await path.RunAsync(asOf, ct);
        var seconds = clock.Elapsed.TotalSeconds;
        var breakdown = profile ? await ServerTimeBreakdownAsync(ctx, seconds, ct) : null;
        var rows = await ctx.ScalarAsync<long>($"select count(*) from public.peer_mentor_status_history where job_run_id = '{runId}'", ct);
        if (paused != expected || rows != expected)
            throw new InvalidOperationException($"{path.Name} paused {paused} mentors and wrote {rows} history rows; expected {expected} of each.");
        await RestoreAsync(ctx, runId, ct);
        return (seconds, rows, breakdown);
    }

    /// <summary>The job at one batch size while the two writers run: wall time and each writer's longest wait per batch.</summary>
    private static async Task<(double Seconds, IReadOnlyDictionary<int, double> InBatch, IReadOnlyDictionary<int, double> Outside)> WithWritersAsync(
        BenchContext ctx, Npgsql.NpgsqlDataSource library, IReadOnlyList<Guid> cohort, int batchSize, CancellationToken ct)
    {
        var size = ctx.Size;
        await CheckpointAsync(ctx, ct);
        var writers = new ConcurrentWriters(ctx.Data, cohort, batchSize, rng => Ids.Mentor(1 + rng.Next(size.Mentors)));
        var path = new LibraryExpiryJobPath(library, batchSize, writers.BatchCommitted);
        writers.Start();
        var clock = Stopwatch.StartNew();
        var (paused, runId) = await path.RunAsync(DateTimeOffset.UtcNow, ct);
        var seconds = clock.Elapsed.TotalSeconds;
        await writers.DisposeAsync();
        if (paused != size.ExpiredMentors) throw new InvalidOperationException($"batches of {batchSize} paused {paused} mentors; expected {size.ExpiredMentors}.");
        await RestoreAsync(ctx, runId, ct);
        return (seconds, writers.InBatchByBatch, writers.OutsideByBatch);
    }

    /// <summary>The cohort in the order the job reads it: (certification_expires_at, id).</summary>
    private static async Task<IReadOnlyList<Guid>> CohortInJobOrderAsync(BenchContext ctx, CancellationToken ct)
    {
        var ids = new List<Guid>();
        await using var command = ctx.Data.CreateCommand(
            $"select id from public.peer_mentors where id > '{Ids.Mentor(ctx.Size.Mentors)}' and id <= '{Ids.Mentor(ctx.Size.Mentors + ctx.Size.ExpiredMentors)}' " +
            "order by certification_expires_at, id");
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) ids.Add(reader.GetGuid(0));
        return ids;
    }

    private static async Task SetAutovacuumAsync(BenchContext ctx, bool enabled, CancellationToken ct)
    {
        foreach (var table in WrittenTables)
            await ctx.ExecAsync(enabled ? $"alter table {table} reset (autovacuum_enabled)" : $"alter table {table} set (autovacuum_enabled = off)", ct);
    }

    /// <summary>Every path starts from the same WAL state: no page dirtied since the last checkpoint.</summary>
    private static Task CheckpointAsync(BenchContext ctx, CancellationToken ct) => ctx.ExecAsync("checkpoint", ct);

    /// <summary>First, last and slowest batch, and the mean, in ms.</summary>
    private static string PerBatch(IReadOnlyList<double> ms)
    {
        if (ms.Count == 0) return "no batch";
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        var slowest = ms.Select((v, i) => (v, i)).MaxBy(x => x.v);
        return string.Create(inv, $"{ms.Count} batches; batch 1 {ms[0]:F0} ms, batch {ms.Count} {ms[^1]:F0} ms, slowest batch {slowest.i + 1} {slowest.v:F0} ms, " +
                                  $"mean {ms.Average():F0} ms, mean of batches 2–{Math.Max(2, ms.Count / 2)} {ms.Skip(1).Take(Math.Max(1, ms.Count / 2 - 1)).DefaultIfEmpty(0).Average():F0} ms, " +
                                  $"mean of the second half {ms.Skip(ms.Count / 2).Average():F0} ms");
    }

    // What pg_stat_statements (track = all) saw during one run, by part: nested statements (the trigger's
    // query, the recipients function, the foreign-key checks) are counted inside their caller too.
    private const string BreakdownSql = """
        select part, sum(calls)::bigint, sum(total_exec_time), sum(total_plan_time), sum(wal_records)::bigint, sum(wal_bytes)::bigint
        from (
            select s.*,
                   case
                       when s.query ilike '%pause_expired_certifications(%' then '1 batch call (top level, all of a batch)'
                       when s.query ilike '%with candidates as%' then '2 its statement: candidates, pause, history, run counters'
                       when s.query ilike '%FOR KEY SHARE OF%' then '3 foreign-key checks (per row)'
                       when s.query ilike '%chapter_coordinators%' then '4 notification recipients'
                       when s.query ilike '%from new_mentors%' then '5 MS101 trigger (status without history)'
                       when s.query ilike 'update public.peer_mentors%' then '2 UPDATE peer_mentors'
                       when s.query ilike 'insert into public.peer_mentor_status_history%' then '2 INSERT … SELECT history'
                       when s.query ilike '%write_run_notifications(new.id)%' then '4 run notifications at the finish (trigger, recipients included)'
                       when s.query ilike 'insert into public.coordinator_inbox%' then '4 inbox rows at the finish (trigger)'
                       when s.query ilike 'with paused as%' then null -- the body of the line above
                       when s.query ilike 'update public.status_job_runs%finished_at%' then '6 run finish (its UPDATE, the notifications trigger included)'
                       when s.query ilike '%count(*)%from public.peer_mentors%' then '6 eligible count (progress, log)'
                       when s.query ilike '%pg_stat_statements%' then null
                       else '7 other (run row, begin/commit, settings)'
                   end as part
            from pg_stat_statements s
            join pg_database d on d.oid = s.dbid and d.datname = current_database()
        ) x
        where part is not null
        group by part
        order by part
        """;

    private static async Task<string> ServerTimeBreakdownAsync(BenchContext ctx, double wallSeconds, CancellationToken ct)
    {
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        var parts = new List<string>();
        await using var command = ctx.Data.CreateCommand(BreakdownSql);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var ms = reader.GetDouble(2);
            parts.Add(string.Create(inv, $"{reader.GetString(0)[2..]} {ms:F0} ms ({ms / 10 / wallSeconds:F0}% of the wall time; {reader.GetInt64(1):N0} calls, " +
                                         $"planning {reader.GetDouble(3):F0} ms, {reader.GetInt64(4):N0} WAL records, {reader.GetInt64(5) / 1e6:F1} MB WAL)"));
        }
        return string.Create(inv, $"wall {wallSeconds * 1000:F0} ms; ") + string.Join("; ", parts) + ".";
    }

    /// <summary>Back to the start: the cohort active again, this run's history rows gone, statistics fresh.</summary>
    private static async Task RestoreAsync(BenchContext ctx, Guid runId, CancellationToken ct)
    {
        await using var connection = await ctx.Data.OpenConnectionAsync(ct);
        foreach (var sql in new[]
                 {
                     "set session_replication_role = replica",
                     $"delete from public.peer_mentor_status_history where job_run_id = '{runId}'",
                     $"delete from public.coordinator_notifications where job_run_id = '{runId}'",
                     $"delete from public.status_job_runs where id = '{runId}'",
                     $"update public.peer_mentors set status = 'active', status_changed_at = null where id > '{Ids.Mentor(ctx.Size.Mentors)}' and id <= '{Ids.Mentor(ctx.Size.Mentors + ctx.Size.ExpiredMentors)}'",
                     "reset session_replication_role",
                     "vacuum (analyze) public.peer_mentors, public.peer_mentor_status_history",
                 })
        {
            await using var command = new Npgsql.NpgsqlCommand(sql, connection);
            await command.ExecuteNonQueryAsync(ct);
        }
    }
}
