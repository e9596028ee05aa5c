using System.Diagnostics;
using MentorStatus.Tooling;

namespace MentorStatus.Bench.Cases;

/// <summary>
/// `db reset` from nothing (new cluster: initdb + pg_ctl start, then platform layer, all migrations, seed)
/// vs the bare initdb + pg_ctl start, alternating, each in a cluster of its own that is then deleted.
/// </summary>
public static class ResetCase
{
    public const string Id = "db_reset";

    public static async Task<CaseResult> RunAsync(BenchContext ctx, CancellationToken ct)
    {
        var result = new CaseResult(Id, "`db reset`: new cluster, platform layer, all migrations, seed");
        var bare = new List<double>();
        var reset = new List<double>();
        var migrations = 0;
        for (var run = 1; run <= ctx.Size.Runs; run++)
        {
            ctx.Say($"db reset, run {run}/{ctx.Size.Runs}: bare initdb + start, then db reset…");
            await using (var cluster = await BenchCluster.CreateAsync("bare", null, ct))
            {
                var clock = Stopwatch.StartNew();
                await cluster.StartAsync(ct);
                bare.Add(clock.Elapsed.TotalSeconds);
            }
            await using (var cluster = await BenchCluster.CreateAsync("reset", null, ct))
            {
                var clock = Stopwatch.StartNew();
                await cluster.StartAsync(ct);
                var done = await new DatabaseWorkflow(ctx.Layout, cluster.Target("postgres")).ResetAsync(DestructiveConsent.ManagedCluster(cluster.Cluster.DataDirectory), ct);
                reset.Add(clock.Elapsed.TotalSeconds);
                migrations = done.Applied.Count;
            }
        }
        result.Figures.Add(Figures.Compare(Id, "wall time, db reset on a new cluster", "s", reset,
            "bare initdb + pg_ctl start", bare, "≤ 2.5× the baseline",
            (_, _, q) => q <= 2.5, (_, _, q) => q <= 2.5 ? $"met: {q:F2}×" : $"missed by {q - 2.5:F2}×: {q:F2}×"));
        result.Notes.Add($"{migrations} migrations applied plus the seed; clusters with the default server settings, " +
                         "created and deleted one after the other (the shutdown and deletion are not timed).");
        return result;
    }
}
