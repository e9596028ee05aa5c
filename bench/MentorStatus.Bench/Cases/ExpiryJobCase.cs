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
        IExpiryJobPath setBased = new LibraryExpiryJobPath(ctx.Data, BenchSize.ExpiryBatchSize);
        // one commit per mentor is slow (a WAL flush each): timed on a sample and scaled, said so in the report
        var sample = Math.Min(size.ExpiredMentors, PerMentorSample);
        IExpiryJobPath perMentor = new RowByRowExpiryJobPath(ctx.Data, BenchSize.ExpiryBatchSize, transactionPerMentor: true, limit: sample);
        IExpiryJobPath perBatch = new RowByRowExpiryJobPath(ctx.Data, BenchSize.ExpiryBatchSize, transactionPerMentor: false);
        result.Notes.Add($"Job: {setBased.Name}, batches of {BenchSize.ExpiryBatchSize:N0} mentors, one transaction each.");
        result.Notes.Add($"Baseline (the target's): {perMentor.Name}" + (sample < size.ExpiredMentors
            ? $" — timed on the first {sample:N0} of the {size.ExpiredMentors:N0} mentors and scaled ×{(double)size.ExpiredMentors / sample:F0} " +
              "(linear: the same single-row transaction repeated); the full loop was NOT run at this size."
            : $", on all {size.ExpiredMentors:N0} mentors."));
        result.Notes.Add($"Second baseline (diagnostic): {perBatch.Name}, on all mentors: the same transactions as the set-based job, " +
                         "so only the statement granularity differs.");

        var setTimes = new List<double>();
        var perMentorTimes = new List<double>();
        var perBatchTimes = new List<double>();
        var written = new List<double>();
        for (var run = 1; run <= size.Runs; run++)
        {
            foreach (var path in new[] { setBased, perMentor, perBatch })
            {
                ctx.Say($"certification expiry, run {run}/{size.Runs}: {path.Name}…");
                var expected = path == perMentor ? sample : size.ExpiredMentors;
                var asOf = DateTimeOffset.UtcNow;
                var clock = Stopwatch.StartNew();
                var (paused, runId) = await path.RunAsync(asOf, ct);
                var seconds = clock.Elapsed.TotalSeconds;
                var rows = await ctx.ScalarAsync<long>($"select count(*) from public.peer_mentor_status_history where job_run_id = '{runId}'", ct);
                if (paused != expected || rows != expected)
                    throw new InvalidOperationException($"{path.Name} paused {paused} mentors and wrote {rows} history rows; expected {expected} of each.");
                if (path == setBased) { setTimes.Add(seconds); written.Add(rows); }
                else if (path == perMentor) perMentorTimes.Add(seconds * size.ExpiredMentors / sample);
                else perBatchTimes.Add(seconds);
                await RestoreAsync(ctx, runId, ct);
            }
        }

        result.Figures.Add(Figures.Compare(Id, "wall time, set-based job", "s", setTimes, null, null,
            "≤ 3 s", (v, _, _) => v <= 3.0, (v, _, _) => v <= 3.0 ? "met" : $"missed by {v - 3.0:F2} s"));
        result.Figures.Add(Figures.Compare(Id, "wall time, set-based job vs row-at-a-time loop", "s", setTimes,
            sample < size.ExpiredMentors ? $"loop, a transaction per mentor (scaled from {sample:N0})" : "loop, a transaction per mentor", perMentorTimes,
            "≥ 20× faster", (_, _, q) => q is { } x && 1 / x >= 20,
            (_, _, q) => q is { } x && 1 / x >= 20 ? $"met: {1 / x:F1}× faster" : $"missed: {1 / (q ?? double.NaN):F1}× faster, short of 20× by {20 - 1 / (q ?? double.NaN):F1}×"));
        result.Figures.Add(Figures.Compare(Id, "wall time, set-based job vs row-at-a-time in the same batches", "s", setTimes,
            $"loop, a transaction per {BenchSize.ExpiryBatchSize:N0} mentors", perBatchTimes, "— (diagnostic)", (_, _, _) => null,
            (_, _, q) => $"{1 / (q ?? double.NaN):F1}× faster"));
        result.Figures.Add(Figures.Compare(Id, "history rows written per run, set-based", "rows", written, null, null,
            $"= {size.ExpiredMentors:N0}", (v, _, _) => (long)v == size.ExpiredMentors, (v, _, _) => $"{v:N0}"));
        return result;
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
