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

    public static async Task<CaseResult> RunAsync(BenchContext ctx, CancellationToken ct)
    {
        var size = ctx.Size;
        var result = new CaseResult(Id, $"Certification-expiry job, {size.ExpiredMentors:N0} expired mentors");
        IExpiryJobPath setBased = new SqlExpiryJobPath(ctx.Data, BenchSize.ExpiryBatchSize);
        IExpiryJobPath rowByRow = new RowByRowExpiryJobPath(ctx.Data, BenchSize.ExpiryBatchSize);
        result.Notes.Add($"Job: {setBased.Name}; baseline: {rowByRow.Name}; batches of {BenchSize.ExpiryBatchSize:N0} mentors, one transaction each, on both sides.");

        var setTimes = new List<double>();
        var rowTimes = new List<double>();
        var written = new List<double>();
        for (var run = 1; run <= size.Runs; run++)
        {
            foreach (var path in new[] { setBased, rowByRow })
            {
                ctx.Say($"certification expiry, run {run}/{size.Runs}: {path.Name}…");
                var asOf = DateTimeOffset.UtcNow;
                var clock = Stopwatch.StartNew();
                var (paused, runId) = await path.RunAsync(asOf, ct);
                var seconds = clock.Elapsed.TotalSeconds;
                var rows = await ctx.ScalarAsync<long>($"select count(*) from public.peer_mentor_status_history where job_run_id = '{runId}'", ct);
                if (paused != size.ExpiredMentors || rows != size.ExpiredMentors)
                    throw new InvalidOperationException($"{path.Name} paused {paused} mentors and wrote {rows} history rows; expected {size.ExpiredMentors} of each.");
                (path == setBased ? setTimes : rowTimes).Add(seconds);
                if (path == setBased) written.Add(rows);
                await RestoreAsync(ctx, runId, ct);
            }
        }

        result.Figures.Add(Figures.Compare(Id, "wall time, set-based job", "s", setTimes, null, null,
            "≤ 3 s", (v, _, _) => v <= 3.0, (v, _, _) => v <= 3.0 ? "met" : $"missed by {v - 3.0:F2} s"));
        result.Figures.Add(Figures.Compare(Id, "speed-up of the set-based job", "s", setTimes,
            "row-at-a-time loop", rowTimes, "≥ 20× faster",
            (_, _, q) => q is { } x && 1 / x >= 20,
            (_, _, q) => q is { } x && 1 / x >= 20 ? $"met: {1 / x:F1}× faster" : $"missed: {1 / (q ?? double.NaN):F1}× faster, short of 20× by {20 - 1 / (q ?? double.NaN):F1}×"));
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
