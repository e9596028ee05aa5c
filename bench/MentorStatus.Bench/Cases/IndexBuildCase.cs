using System.Collections.Concurrent;
using System.Diagnostics;
using MentorStatus.Bench.Data;
using Npgsql;

namespace MentorStatus.Bench.Cases;

/// <summary>
/// The timeline-index migration (20261101000300, its own statement text) on the loaded history while
/// writers insert: the longest insert during the build ("stall") with CREATE INDEX CONCURRENTLY vs a plain
/// CREATE INDEX on the same data. Ends with the index built concurrently, as the migration leaves it.
/// </summary>
public static class IndexBuildCase
{
    public const string Id = "index_build";
    public const int Writers = 2;
    /// <summary>The timeline-index migration's version; its file is found by it (the name after the version is history).</summary>
    private const string MigrationVersion = "20261101000300";

    private const string InsertSql = """
        insert into public.peer_mentor_status_history (mentor_id, previous_status, new_status, changed_by, changed_at, reason)
        values ($1, null, 'active', null, clock_timestamp(), 'initial_status')
        """;

    public static async Task<CaseResult> RunAsync(BenchContext ctx, CancellationToken ct)
    {
        var size = ctx.Size;
        var result = new CaseResult(Id, $"Timeline-index migration on {size.HistoryRows:N0} history rows while {Writers} writers insert");
        var (migrationFile, concurrent) = ReadMigrationStatement(ctx);
        var plain = concurrent.Replace("create index concurrently if not exists", "create index if not exists", StringComparison.Ordinal);
        if (plain == concurrent) throw new InvalidOperationException($"{migrationFile} no longer reads \"create index concurrently if not exists\"; update the bench.");
        result.Notes.Add($"Statement (from supabase/migrations/{migrationFile}): `{concurrent.Trim()}`; baseline: the same without CONCURRENTLY.");

        var cicStall = new List<double>(); var cicBuild = new List<double>();
        var plainStall = new List<double>(); var plainBuild = new List<double>();
        var cicWrites = new ConcurrentBag<double>(); var plainWrites = new ConcurrentBag<double>();
        var idleStall = new List<double>(); var idleWrites = new ConcurrentBag<double>();
        var inserted = 0L;
        for (var run = 1; run <= size.IndexRuns; run++)
        {
            foreach (var isConcurrent in new[] { false, true })
            {
                ctx.Say($"index build, run {run}/{size.IndexRuns}: {(isConcurrent ? "create index concurrently" : "plain create index")} with {Writers} writers…");
                await ctx.ExecAsync($"drop index if exists public.{DataLoader.TimelineIndex}", ct);
                var (build, stall, count) = await BuildWhileWritingAsync(ctx, isConcurrent ? concurrent : plain, isConcurrent ? cicWrites : plainWrites, ct);
                inserted += count;
                (isConcurrent ? cicBuild : plainBuild).Add(build);
                (isConcurrent ? cicStall : plainStall).Add(stall);
            }
            ctx.Say($"index build, run {run}/{size.IndexRuns}: writers alone for as long as the concurrent build took…");
            var (_, idle, idleCount) = await BuildWhileWritingAsync(ctx, null, idleWrites, ct, TimeSpan.FromMilliseconds(Math.Max(1000, cicBuild[^1])));
            inserted += idleCount;
            idleStall.Add(idle);
        }
        var valid = await ctx.ScalarAsync<bool>(
            $"select coalesce((select indisvalid from pg_index where indexrelid = to_regclass('public.{DataLoader.TimelineIndex}')), false)", ct);
        if (!valid) throw new InvalidOperationException("the timeline index is missing or invalid after the concurrent build.");
        await ctx.ExecAsync("analyze public.peer_mentor_status_history", ct);

        result.Figures.Add(Figures.Compare(Id, "longest writer stall, create index concurrently", "ms", cicStall,
            "build time of the concurrent build", cicBuild, "stall ≤ 200 ms",
            (v, _, _) => v <= 200, (v, b, _) => v <= 200 ? $"met ({Figures.F(v)} ms while the build took {Figures.F(b ?? 0)} ms)" : $"missed by {Figures.F(v - 200)} ms"));
        result.Figures.Add(Figures.Compare(Id, "longest writer stall, create index concurrently, vs no build", "ms", cicStall,
            "longest insert with no build running (noise floor)", idleStall, "— (diagnostic)", (_, _, _) => null,
            (_, b, q) => $"{q:F2}× the noise floor of {Figures.F(b ?? double.NaN)} ms"));
        result.Figures.Add(Figures.Compare(Id, "longest writer stall, plain create index", "ms", plainStall,
            "build time of the plain build", plainBuild, "— (baseline: stall ≈ build)", (_, _, _) => null,
            (_, _, q) => $"writers blocked for {q * 100:F0}% of the build"));
        result.Figures.Add(Figures.Compare(Id, "build time, create index concurrently", "ms", cicBuild,
            "plain create index", plainBuild, "— (reference)", (_, _, _) => null, (_, _, q) => $"{q:F2}× the plain build"));
        result.Latencies.Add(LatencySummary.Of("insert during plain create index", plainWrites.ToArray()));
        result.Latencies.Add(LatencySummary.Of("insert during create index concurrently", cicWrites.ToArray()));
        result.Latencies.Add(LatencySummary.Of("insert with no index build", idleWrites.ToArray()));
        result.Notes.Add($"Writers: {Writers} connections inserting one history row per autocommit statement (with its foreign-key checks) " +
                         $"as fast as they can; {inserted:N0} rows inserted over all builds. Stall = the longest insert that overlapped the build.");
        return result;
    }

    private static (string File, string Statement) ReadMigrationStatement(BenchContext ctx)
    {
        var files = Directory.GetFiles(ctx.Layout.MigrationsDirectory, MigrationVersion + "_*.sql");
        if (files.Length != 1)
            throw new InvalidOperationException($"expected one migration {MigrationVersion}_*.sql in {ctx.Layout.MigrationsDirectory}, found {files.Length}; update the bench.");
        var text = File.ReadAllText(files[0]);
        var lines = text.Split('\n').Where(l => !l.TrimStart().StartsWith("--", StringComparison.Ordinal));
        return (Path.GetFileName(files[0]), string.Join('\n', lines).Trim().TrimEnd(';'));
    }

    private static async Task<(double BuildMs, double StallMs, long Inserted)> BuildWhileWritingAsync(
        BenchContext ctx, string? sql, ConcurrentBag<double> writes, CancellationToken ct, TimeSpan idle = default)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var spans = new ConcurrentBag<(long Start, long End)>();
        var writers = Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            var rng = new Random(w);
            await using var connection = await ctx.Data.OpenConnectionAsync(ct);
            await using var command = new NpgsqlCommand(InsertSql, connection) { Parameters = { new() { Value = Guid.Empty } } };
            await command.PrepareAsync(ct);
            while (!stop.IsCancellationRequested)
            {
                command.Parameters[0].Value = Ids.Mentor(rng.Next(1, ctx.Size.Mentors + 1));
                var t0 = Stopwatch.GetTimestamp();
                await command.ExecuteNonQueryAsync(ct);
                spans.Add((t0, Stopwatch.GetTimestamp()));
            }
        }, ct)).ToArray();

        await Task.Delay(500, ct);
        await using var connection = await ctx.Data.OpenConnectionAsync(ct);
        await using (var set = new NpgsqlCommand("set maintenance_work_mem = '512MB'", connection)) await set.ExecuteNonQueryAsync(ct);
        var buildStart = Stopwatch.GetTimestamp();
        if (sql is null) await Task.Delay(idle, ct); // no build: the writers' own noise floor
        else
        {
            await using var build = new NpgsqlCommand(sql, connection);
            await build.ExecuteNonQueryAsync(ct);
        }
        var buildEnd = Stopwatch.GetTimestamp();
        await Task.Delay(300, ct);
        await stop.CancelAsync();
        await Task.WhenAll(writers);

        var overlapping = spans.Where(s => s.Start < buildEnd && s.End > buildStart).ToList();
        foreach (var s in overlapping) writes.Add(Stopwatch.GetElapsedTime(s.Start, s.End).TotalMilliseconds);
        var stall = overlapping.Count == 0 ? double.NaN : overlapping.Max(s => Stopwatch.GetElapsedTime(s.Start, s.End).TotalMilliseconds);
        return (Stopwatch.GetElapsedTime(buildStart, buildEnd).TotalMilliseconds, stall, spans.Count);
    }
}
