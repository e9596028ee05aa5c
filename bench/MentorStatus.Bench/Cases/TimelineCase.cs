using System.Diagnostics;
using System.Text.Json;
using Npgsql;

namespace MentorStatus.Bench.Cases;

/// <summary>
/// A mentor's 50 newest history entries (the repository's keyset query, first page), on random mentors:
/// as service_role (no RLS) vs as a coordinator of the mentor's chapter (through the history's RLS policy).
/// Server-side latency = EXPLAIN (ANALYZE, TIMING OFF) execution time; client-side = the query's round trip.
/// </summary>
public static class TimelineCase
{
    public const string Id = "timeline";
    public const int PageSize = 50;

    // MentorStatusRepository.TimelineSql, first page (no cursor); limit = page size + 1 as the repository asks.
    public const string TimelineSql = """
        select id, mentor_id, previous_status, new_status, changed_by, changed_at, reason, job_run_id
        from public.peer_mentor_status_history
        where mentor_id = $1
          and ($2::timestamptz is null or (changed_at, id) < ($2::timestamptz, $3::uuid))
        order by changed_at desc, id desc
        limit $4
        """;

    public static async Task<CaseResult> RunAsync(BenchContext ctx, CancellationToken ct)
    {
        var result = new CaseResult(Id, $"Timeline: {PageSize} newest entries of one mentor, {ctx.Size.HistoryRows:N0} history rows over {ctx.Size.Mentors:N0} mentors");
        var size = ctx.Size;
        var rng = new Random(99);
        var serviceP50 = new List<double>(); var serviceP99 = new List<double>();
        var rlsP50 = new List<double>(); var rlsP99 = new List<double>();
        var serviceClientP50 = new List<double>(); var serviceClientP99 = new List<double>();
        var rlsClientP50 = new List<double>(); var rlsClientP99 = new List<double>();
        var allService = new List<double>(); var allRls = new List<double>();
        var allServiceClient = new List<double>(); var allRlsClient = new List<double>();

        await using var connection = await ctx.Data.OpenConnectionAsync(ct);
        // the plan, once, for each caller
        foreach (var asCoordinator in new[] { false, true })
        {
            var mentor = rng.Next(1, size.Mentors + 1);
            var plan = await ExplainAsync(connection, ctx, mentor, asCoordinator, ct);
            var text = plan.GetRawText();
            var usesIndex = text.Contains(DataLoaderIndexName, StringComparison.Ordinal);
            var nodes = string.Join(" → ", PlanNodes(plan.GetProperty("Plan")));
            result.Notes.Add($"plan as {(asCoordinator ? "coordinator (RLS)" : "service_role")}: {nodes}; " +
                             $"composite index {(usesIndex ? "used" : "NOT used")}.");
            result.Figures.Add(new Figure(Id, $"plan uses {DataLoaderIndexName}, {(asCoordinator ? "coordinator (RLS)" : "service_role")}",
                usesIndex ? 1 : 0, "yes=1", null, null, null, "the composite index in the plan", usesIndex,
                usesIndex ? "met" : "missed: the plan does not use the composite index", [usesIndex ? 1 : 0], []));
        }

        foreach (var asCoordinator in new[] { false, true })
        {
            var mentor = rng.Next(1, size.Mentors + 1);
            await BeginAsAsync(connection, ctx, mentor, asCoordinator, ct);
            await using var command = Command(connection, "explain (analyze, buffers, verbose) " + TimelineSql, mentor);
            var lines = new List<string>();
            await using (var reader = await command.ExecuteReaderAsync(ct))
                while (await reader.ReadAsync(ct)) lines.Add(reader.GetString(0));
            await using (var commit = new NpgsqlCommand("commit", connection)) await commit.ExecuteNonQueryAsync(ct);
            result.Details[$"EXPLAIN (ANALYZE, BUFFERS, VERBOSE) as {(asCoordinator ? "a coordinator of the mentor's chapter (RLS)" : "service_role")}"] =
                string.Join('\n', lines);
        }

        for (var run = 1; run <= size.Runs; run++)
        {
            ctx.Say($"timeline, run {run}/{size.Runs}: {size.TimelineSamples} random mentors, service_role and coordinator…");
            var s = new List<double>(); var r = new List<double>(); var sc = new List<double>(); var rc = new List<double>();
            for (var i = 0; i < size.TimelineSamples; i++)
            {
                var mentor = rng.Next(1, size.Mentors + 1);
                // alternate who goes first, so neither side always finds the pages warm
                var coordinatorFirst = i % 2 == 1;
                foreach (var asCoordinator in coordinatorFirst ? new[] { true, false } : [false, true])
                {
                    var server = (await ExplainAsync(connection, ctx, mentor, asCoordinator, ct)).GetProperty("Execution Time").GetDouble();
                    var client = await TimeQueryAsync(connection, ctx, mentor, asCoordinator, ct);
                    (asCoordinator ? r : s).Add(server);
                    (asCoordinator ? rc : sc).Add(client);
                }
            }
            serviceP50.Add(Stats.Percentile(s, 50)); serviceP99.Add(Stats.Percentile(s, 99));
            rlsP50.Add(Stats.Percentile(r, 50)); rlsP99.Add(Stats.Percentile(r, 99));
            serviceClientP50.Add(Stats.Percentile(sc, 50)); serviceClientP99.Add(Stats.Percentile(sc, 99));
            rlsClientP50.Add(Stats.Percentile(rc, 50)); rlsClientP99.Add(Stats.Percentile(rc, 99));
            allService.AddRange(s); allRls.AddRange(r); allServiceClient.AddRange(sc); allRlsClient.AddRange(rc);
        }

        result.Figures.Add(Figures.Compare(Id, "p99 server-side, service_role", "ms", serviceP99, null, null,
            "≤ 1 ms", (v, _, _) => v <= 1.0, (v, _, _) => v <= 1.0 ? "met" : $"missed by {v - 1.0:F2} ms"));
        result.Figures.Add(Figures.Compare(Id, "p99 server-side, coordinator (RLS)", "ms", rlsP99,
            "service_role p99 server-side", serviceP99, "≤ 1 ms and ≤ 2× service_role",
            (v, _, q) => v <= 1.0 && q <= 2.0,
            (v, _, q) => (v <= 1.0 ? "≤ 1 ms met" : $"≤ 1 ms missed by {v - 1.0:F2} ms") + "; " +
                         (q <= 2.0 ? $"{q:F2}× service_role, met" : $"{q:F2}× service_role, missed by {q - 2.0:F2}×")));
        result.Figures.Add(Figures.Compare(Id, "p50 server-side, coordinator (RLS)", "ms", rlsP50,
            "service_role p50 server-side", serviceP50, "≤ 2× service_role",
            (_, _, q) => q <= 2.0, (_, _, q) => q <= 2.0 ? $"met: {q:F2}×" : $"missed by {q - 2.0:F2}×: {q:F2}×"));
        result.Figures.Add(Figures.Compare(Id, "p50 client-side round trip, coordinator (RLS)", "ms", rlsClientP50,
            "service_role p50 client-side", serviceClientP50, "— (reference)", (_, _, _) => null, (_, _, q) => $"{q:F2}×"));
        result.Figures.Add(Figures.Compare(Id, "p99 client-side round trip, coordinator (RLS)", "ms", rlsClientP99,
            "service_role p99 client-side", serviceClientP99, "— (reference)", (_, _, _) => null, (_, _, q) => $"{q:F2}×"));
        result.Latencies.Add(LatencySummary.Of("timeline server-side, service_role", allService));
        result.Latencies.Add(LatencySummary.Of("timeline server-side, coordinator (RLS)", allRls));
        result.Latencies.Add(LatencySummary.Of("timeline client-side, service_role", allServiceClient));
        result.Latencies.Add(LatencySummary.Of("timeline client-side, coordinator (RLS)", allRlsClient));
        result.Notes.Add("Server-side = EXPLAIN (ANALYZE, TIMING OFF) \"Execution Time\" (planning excluded); client-side = " +
                         "Stopwatch around the query alone (role and claims are set before, in the same transaction, as the repository does).");
        return result;
    }

    private const string DataLoaderIndexName = Data.DataLoader.TimelineIndex;

    private static async Task BeginAsAsync(NpgsqlConnection connection, BenchContext ctx, int mentor, bool asCoordinator, CancellationToken ct)
    {
        await using var batch = new NpgsqlBatch(connection);
        batch.BatchCommands.Add(new NpgsqlBatchCommand("begin"));
        if (asCoordinator)
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand("set local role authenticated"));
            batch.BatchCommands.Add(new NpgsqlBatchCommand("select set_config('request.jwt.claims', $1, true)")
                { Parameters = { new() { Value = Ids.Claims(Ids.Coordinator(ctx.Loader.ChapterOf(mentor))) } } });
        }
        else batch.BatchCommands.Add(new NpgsqlBatchCommand("set local role service_role"));
        await batch.ExecuteNonQueryAsync(ct);
    }

    private static NpgsqlCommand Command(NpgsqlConnection connection, string sql, int mentor) => new(sql, connection)
    {
        Parameters =
        {
            new() { Value = Ids.Mentor(mentor) },
            new() { Value = DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz },
            new() { Value = DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid },
            new() { Value = PageSize + 1 },
        },
    };

    private static async Task<JsonElement> ExplainAsync(NpgsqlConnection connection, BenchContext ctx, int mentor, bool asCoordinator, CancellationToken ct)
    {
        await BeginAsAsync(connection, ctx, mentor, asCoordinator, ct);
        await using var command = Command(connection, "explain (analyze, timing off, format json) " + TimelineSql, mentor);
        var json = (string)(await command.ExecuteScalarAsync(ct))!;
        await using (var commit = new NpgsqlCommand("commit", connection)) await commit.ExecuteNonQueryAsync(ct);
        return JsonDocument.Parse(json).RootElement[0].Clone();
    }

    private static async Task<double> TimeQueryAsync(NpgsqlConnection connection, BenchContext ctx, int mentor, bool asCoordinator, CancellationToken ct)
    {
        await BeginAsAsync(connection, ctx, mentor, asCoordinator, ct);
        await using var command = Command(connection, TimelineSql, mentor);
        var t0 = Stopwatch.GetTimestamp();
        await using (var reader = await command.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct)) _ = reader.GetGuid(0);
        var elapsed = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        await using (var commit = new NpgsqlCommand("commit", connection)) await commit.ExecuteNonQueryAsync(ct);
        return elapsed;
    }

    private static IEnumerable<string> PlanNodes(JsonElement node)
    {
        var name = node.GetProperty("Node Type").GetString()!;
        if (node.TryGetProperty("Index Name", out var index)) name += $" using {index.GetString()}";
        yield return name;
        if (node.TryGetProperty("Plans", out var children))
            foreach (var child in children.EnumerateArray())
            foreach (var n in PlanNodes(child))
                yield return n;
    }
}
