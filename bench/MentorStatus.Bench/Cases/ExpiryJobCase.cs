using System.Diagnostics;

namespace MentorStatus.Bench.Cases;

/// <summary>
/// The certification-expiry job on the expired cohort (every mentor numbered above size.Mentors: active,
/// certification expired): set-based batches vs a row-at-a-time loop, same batch size, same transactions.
/// Between runs the cohort is made active again and the run's history rows are removed (as the table
/// owner with triggers off), so every run starts from the same state.
/// </summary>
public static class ExpiryJobCase
{
    public const string Id = "certification_expiry";
    /// <summary>At most this many mentors for the one-transaction-per-mentor loop (its time is scaled to the cohort).</summary>
    public const int PerMentorSample = 5_000;

    public static async Task<CaseResult> RunAsync(BenchContext ctx, CancellationToken ct)
    {
        var size = ctx.Size;
        var result = new CaseResult(Id, $"Certification-expiry job, {size.ExpiredMentors:N0} expired mentors");
        var setBased = new LibraryExpiryJobPath(ctx.Data, BenchSize.ExpiryBatchSize);
        // one commit per mentor is slow (a WAL flush each): timed on a sample and scaled, said so in the report
        var sample = Math.Min(size.ExpiredMentors, PerMentorSample);
        var perMentor = new RowByRowExpiryJobPath(ctx.Data, BenchSize.ExpiryBatchSize, transactionPerMentor: true, limit: sample);
        var perBatch = new RowByRowExpiryJobPath(ctx.Data, BenchSize.ExpiryBatchSize, transactionPerMentor: false);
        var floor = new PlainSqlFloorPath(ctx.Data);
        // the floor lowered as the job lowered it: the same time-ordered history ids (round 6)
        var lowFloor = new PlainSqlFloorPath(ctx.Data, timeOrderedIds: true);
        // diagnostic: what the asynchronous batch commit is worth (same job, each batch waits for its WAL flush)
        var synchronous = new LibraryExpiryJobPath(ctx.Data, BenchSize.ExpiryBatchSize, asynchronousCommit: false);
        // diagnostic: the batch before round 5 (no cursor, history in heap order), same run, same transactions
        var round4 = new Round4BatchPath(ctx.Data, BenchSize.ExpiryBatchSize);
        await Round4BatchPath.InstallAsync(ctx.Data, ctx.Layout, ct);
        // the batch-size curve: each size timed while a concurrent "status change" locks random cohort mentors
        int[] curve = [500, 2_000, 5_000, 10_000, size.ExpiredMentors];
        curve = [.. curve.Where(b => b <= size.ExpiredMentors).Distinct()];
        result.Notes.Add($"Job: {setBased.Name}, batches of {BenchSize.ExpiryBatchSize:N0} mentors, one transaction each.");
        result.Notes.Add($"Baseline (the target's): {perMentor.Name}" + (sample < size.ExpiredMentors
            ? $" — timed on the first {sample:N0} of the {size.ExpiredMentors:N0} mentors and scaled ×{(double)size.ExpiredMentors / sample:F0} " +
              "(linear: the same single-row transaction repeated); the full loop was NOT run at this size."
            : $", on all {size.ExpiredMentors:N0} mentors."));
        result.Notes.Add($"Second baseline (the target's floor): {floor.Name}, on all mentors; its history rows are the same.");
        result.Notes.Add($"Second floor: {lowFloor.Name}: the job gives its history rows time-ordered ids (UUID v7, migration 20261127170000), " +
                         "which the issue allows as lowering the floor; the job is compared with both floors.");
        result.Notes.Add($"Third baseline (diagnostic): {perBatch.Name}, on all mentors: the same transactions as the set-based job, " +
                         "so only the statement granularity differs.");
        result.Notes.Add($"Fourth baseline (diagnostic): {synchronous.Name}: what the asynchronous batch commit is worth.");
        result.Notes.Add($"Fifth baseline (diagnostic): {round4.Name}: what round 5 (keyset continuation, history in mentor order) is worth.");
        result.Notes.Add("Every path and every point of the curve starts right after a CHECKPOINT: the first change to a page after a " +
                         "checkpoint writes a full-page image to the WAL, so without it a path's time depended on when the last checkpoint " +
                         "happened (the random-id floor varied 1.0–1.5× between runs in round 6). A nightly job on PostgreSQL's 5-minute " +
                         "checkpoints nearly always runs in that state.");
        result.Notes.Add($"Batch-size curve: the library job with batches of {string.Join(", ", curve.Select(b => b.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)))} " +
                         "while one connection locks random mentors of the cohort as a status change does (select … for update, own transaction, every 2 ms); " +
                         "the longest of those waits is the lock time a user's status change could see.");

        IExpiryJobPath[] paths = [setBased, floor, lowFloor, round4, synchronous, perMentor, perBatch];
        var times = paths.ToDictionary(p => p, _ => new List<double>());
        var (setTimes, perMentorTimes, perBatchTimes, synchronousTimes, round4Times, floorTimes, lowFloorTimes) =
            (times[setBased], times[perMentor], times[perBatch], times[synchronous], times[round4], times[floor], times[lowFloor]);
        // the paths whose server time is broken down by pg_stat_statements, and what the notes call them
        var profiled = new Dictionary<IExpiryJobPath, string> { [setBased] = "the job", [floor] = "the floor", [lowFloor] = "the floor with time-ordered ids", [round4] = "the round-4 batch" };
        var perBatchNotes = new Dictionary<string, string>();
        var written = new List<double>();
        var curveTimes = curve.ToDictionary(b => b, _ => new List<double>());
        var curveWaits = curve.ToDictionary(b => b, _ => new List<double>());
        var breakdowns = new Dictionary<IExpiryJobPath, string>();
        await ctx.ExecAsync("create extension if not exists pg_stat_statements", ct);
        for (var run = 1; run <= size.Runs; run++)
        {
            foreach (var batchSize in curve)
            {
                ctx.Say($"certification expiry, run {run}/{size.Runs}: batches of {batchSize:N0} with a concurrent locker…");
                await CheckpointAsync(ctx, ct);
                var probe = new ConcurrentLockProbe(ctx.Data, rng => Ids.Mentor(size.Mentors + 1 + rng.Next(size.ExpiredMentors)));
                probe.Start();
                var clock = Stopwatch.StartNew();
                var (paused, runId) = await new LibraryExpiryJobPath(ctx.Data, batchSize).RunAsync(DateTimeOffset.UtcNow, ct);
                var seconds = clock.Elapsed.TotalSeconds;
                await probe.DisposeAsync();
                if (paused != size.ExpiredMentors) throw new InvalidOperationException($"batches of {batchSize} paused {paused} mentors; expected {size.ExpiredMentors}.");
                curveTimes[batchSize].Add(seconds);
                curveWaits[batchSize].Add(probe.LongestWaitMs);
                await RestoreAsync(ctx, runId, ct);
            }
            foreach (var path in paths)
            {
                ctx.Say($"certification expiry, run {run}/{size.Runs}: {path.Name}…");
                var expected = path == perMentor ? sample : size.ExpiredMentors;
                var asOf = DateTimeOffset.UtcNow;
                await CheckpointAsync(ctx, ct);
                if (profiled.ContainsKey(path)) await ctx.ExecAsync("select pg_stat_statements_reset()", ct);
                var clock = Stopwatch.StartNew();
                var (paused, runId) = await path.RunAsync(asOf, ct);
                var seconds = clock.Elapsed.TotalSeconds;
                if (profiled.ContainsKey(path)) breakdowns[path] = await ServerTimeBreakdownAsync(ctx, seconds, ct);
                if (path == setBased) perBatchNotes[profiled[setBased]] = PerBatch(setBased.BatchMilliseconds);
                if (path == round4) perBatchNotes[profiled[round4]] = PerBatch(round4.BatchMilliseconds);
                var rows = await ctx.ScalarAsync<long>($"select count(*) from public.peer_mentor_status_history where job_run_id = '{runId}'", ct);
                if (paused != expected || rows != expected)
                    throw new InvalidOperationException($"{path.Name} paused {paused} mentors and wrote {rows} history rows; expected {expected} of each.");
                // the per-mentor loop ran on a sample: scaled to all mentors
                times[path].Add(path == perMentor ? seconds * size.ExpiredMentors / sample : seconds);
                if (path == setBased) written.Add(rows);
                await RestoreAsync(ctx, runId, ct);
            }
        }

        foreach (var (path, text) in breakdowns)
            result.Notes.Add($"Where the time went (pg_stat_statements, last run), {profiled[path]}: {text}");
        foreach (var (who, text) in perBatchNotes)
            result.Notes.Add($"Per batch (last run), {who}: {text}");
        result.Figures.Add(Figures.Compare(Id, "wall time, set-based job vs the plain-SQL floor", "s", setTimes,
            "plain SQL floor (one UPDATE + one INSERT … SELECT, one transaction)", floorTimes, "≤ 1.25× the floor",
            (_, _, q) => q <= 1.25, (_, _, q) => q <= 1.25 ? $"met: {q:F2}× the floor" : $"missed: {q:F2}× the floor, short by {q - 1.25:F2}×"));
        result.Figures.Add(Figures.Compare(Id, "wall time, set-based job vs the floor with the job's time-ordered ids", "s", setTimes,
            "plain SQL floor, history ids time-ordered as the job's", lowFloorTimes, "— (the lowered floor)", (_, _, _) => null,
            (_, _, q) => $"{q:F2}× the lowered floor"));
        result.Figures.Add(Figures.Compare(Id, "wall time, floor with time-ordered ids vs the plain-SQL floor", "s", lowFloorTimes,
            "plain SQL floor", floorTimes, "— (diagnostic: what the ids are worth)", (_, _, _) => null, (_, _, q) => $"{q:F2}× the floor"));
        result.Figures.Add(Figures.Compare(Id, "wall time, set-based job vs row-at-a-time loop", "s", setTimes,
            sample < size.ExpiredMentors ? $"loop, a transaction per mentor (scaled from {sample:N0})" : "loop, a transaction per mentor", perMentorTimes,
            "≥ 15× faster", (_, _, q) => q is { } x && 1 / x >= 15,
            (_, _, q) => q is { } x && 1 / x >= 15 ? $"met: {1 / x:F1}× faster" : $"missed: {1 / (q ?? double.NaN):F1}× faster, short of 15× by {15 - 1 / (q ?? double.NaN):F1}×"));
        foreach (var batchSize in curve)
        {
            result.Figures.Add(Figures.Compare(Id, $"wall time, batches of {batchSize:N0} (curve)", "s", curveTimes[batchSize],
                "plain SQL floor", floorTimes, "— (curve)", (_, _, _) => null, (_, _, q) => $"{q:F2}× the floor"));
            result.Figures.Add(Figures.Compare(Id, $"longest wait of a concurrent status-change lock, batches of {batchSize:N0}", "ms", curveWaits[batchSize],
                null, null, "— (report: bounded by one batch)", (_, _, _) => null, (v, _, _) => $"{Figures.F(v)} ms"));
        }
        result.Figures.Add(Figures.Compare(Id, "wall time, set-based job vs the same with synchronous batch commits", "s", setTimes,
            "the job with synchronous_commit on for every batch", synchronousTimes, "— (diagnostic)", (_, _, _) => null,
            (_, _, q) => $"{q:F2}× the synchronous job"));
        result.Figures.Add(Figures.Compare(Id, "wall time, set-based job vs the round-4 batch (scratch copy)", "s", setTimes,
            "the round-4 batch: every batch from the earliest expiry, history in heap order", round4Times, "— (diagnostic)", (_, _, _) => null,
            (_, _, q) => $"{q:F2}× the round-4 batch"));
        result.Figures.Add(Figures.Compare(Id, "wall time, round-4 batch (scratch copy) vs the plain-SQL floor", "s", round4Times,
            "plain SQL floor", floorTimes, "— (diagnostic)", (_, _, _) => null, (_, _, q) => $"{q:F2}× the floor"));
        result.Figures.Add(Figures.Compare(Id, "wall time, set-based job vs row-at-a-time in the same batches", "s", setTimes,
            $"loop, a transaction per {BenchSize.ExpiryBatchSize:N0} mentors", perBatchTimes, "— (diagnostic)", (_, _, _) => null,
            (_, _, q) => $"{1 / (q ?? double.NaN):F1}× faster"));
        result.Figures.Add(Figures.Compare(Id, "history rows written per run, set-based", "rows", written, null, null,
            $"= {size.ExpiredMentors:N0}", (v, _, _) => (long)v == size.ExpiredMentors, (v, _, _) => $"{v:N0}"));
        return result;
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
