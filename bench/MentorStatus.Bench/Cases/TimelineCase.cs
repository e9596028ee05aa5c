using System.Diagnostics;
using System.Text.Json;
using Npgsql;

namespace MentorStatus.Bench.Cases;

/// <summary>
/// A mentor's 50 newest history entries (the repository's keyset query, first page), on random mentors, read by:
/// service_role (the floor: the index read, no RLS); the coordinator of the mentor's chapter and a coordinator
/// of many chapters, each through the repository's path (mentor_status_private.mentor_timeline: one point check,
/// then the same read) and through the table's RLS policy (what a PostgREST read of the table costs: the
/// policy's InitPlan builds the array of every mentor the caller may see). Plus a stranger's
/// <c>order by changed_at desc limit 10</c> over the whole history: rows and buffers it touches.
/// Against what a Supabase team would write instead (<see cref="TimelineGuideBaseline"/>): the app's read, the rpc
/// <c>public.mentor_timeline</c>, and a PostgREST read of the table under the RLS guide's per-row policy, for a
/// coordinator of one chapter, a coordinator of many and a stranger, on the same table in the same run.
/// Server-side latency = EXPLAIN (ANALYZE, TIMING OFF) execution time; client-side = the query's round trip.
/// Each mentor's first read (its pages brought into shared buffers) is timed apart; the readers are compared on cached pages.
/// </summary>
public static class TimelineCase
{
    public const string Id = "timeline";
    public const int PageSize = 50;
    /// <summary>Samples per run of the many-chapter coordinator's table read: each builds an array of thousands of ids.</summary>
    private const int ManyChapterTableSamples = 100;
    /// <summary>The repository path's server-side time over service_role's (execution time, p50 and p99).</summary>
    private const double ServerRatioTarget = 2.5;
    /// <summary>The repository path's client-side round trip over service_role's (p50 and p99).</summary>
    private const double RoundTripRatioTarget = 1.1;

    // MentorStatusRepository.TimelineSql, first page (no cursor); limit = page size + 1 as the repository asks.
    public const string TimelineSql = """
        select id, mentor_id, previous_status, new_status, changed_by, changed_at, reason, job_run_id
        from public.peer_mentor_status_history
        where mentor_id = $1
          and ($2::timestamptz is null or (changed_at, id) < ($2::timestamptz, $3::uuid))
        order by changed_at desc, id desc
        limit $4
        """;

    // MentorStatusRepository.UserTimelineSql: what the repository sends for a signed-in user.
    public const string UserTimelineSql = """
        select id, mentor_id, previous_status, new_status, changed_by, changed_at, reason, job_run_id
        from mentor_status_private.mentor_timeline($1, $2, $3, $4)
        """;

    public const string StrangerNewestSql = "select * from public.peer_mentor_status_history order by changed_at desc limit 10";

    private enum Who { Service, Coordinator, ManyChapters, Stranger }

    /// <summary>
    /// A caller, the SQL it sends and the role it runs as: the repository's user path (<see cref="UserTimelineSql"/>),
    /// the app's rpc, or the table under RLS (the product's policy as <c>authenticated</c>, the guide's as its role).
    /// <paramref name="Prepared"/>: the client-side round trip runs a prepared statement, as PostgREST sends its queries
    /// (db-prepared-statements, on by default), so the statement is not planned again on every request once PostgreSQL
    /// settles on a generic plan; the other readers keep the unprepared round trip their targets were set on.
    /// </summary>
    private sealed record Reader(string Name, Who Who, string Sql, string Role = "authenticated", bool Prepared = false)
    {
        public List<double> P50 { get; } = [];
        public List<double> P99 { get; } = [];
        public List<double> ClientP50 { get; } = [];
        public List<double> ClientP99 { get; } = [];
        public List<double> All { get; } = [];
        public List<double> AllClient { get; } = [];
    }

    public static async Task<CaseResult> RunAsync(BenchContext ctx, CancellationToken ct)
    {
        var size = ctx.Size;
        var many = $"coordinator of {size.ManyChapters} chapters";
        var result = new CaseResult(Id, $"Timeline: {PageSize} newest entries of one mentor, {size.HistoryRows:N0} history rows over {size.Mentors:N0} mentors; " +
                                        $"service_role, the mentor's coordinator, a {many}, a stranger");
        var rng = new Random(99);
        var service = new Reader("service_role", Who.Service, TimelineSql);
        var coordinatorPath = new Reader("coordinator, repository path", Who.Coordinator, UserTimelineSql);
        var coordinatorTable = new Reader("coordinator, table under the product's policy", Who.Coordinator, TimelineSql);
        var manyPath = new Reader($"{many}, repository path", Who.ManyChapters, UserTimelineSql);
        var manyTable = new Reader($"{many}, table under the product's policy", Who.ManyChapters, TimelineSql);
        // the app's read (the rpc, docs/app.md) and the guide's baseline, per caller: (who, product, guide)
        var versus = new[] { (Who.Coordinator, "coordinator of one chapter"), (Who.ManyChapters, many), (Who.Stranger, "stranger") }
            .Select(c => (Caller: c.Item2,
                          Product: new Reader($"{c.Item2}, app's rpc", c.Item1, TimelineGuideBaseline.ProductRpcSql, Prepared: true),
                          Guide: new Reader($"{c.Item2}, table under the guide's policy", c.Item1, TimelineGuideBaseline.ReadSql,
                              TimelineGuideBaseline.Role, Prepared: true)))
            .ToArray();
        Reader[] everyTime = [service, coordinatorPath, coordinatorTable, manyPath, .. versus.SelectMany(v => new[] { v.Product, v.Guide })];

        await TimelineGuideBaseline.InstallAsync(ctx.Data, ct);
        try
        {
            return await RunWithGuideAsync(ctx, result, rng, many, service, coordinatorPath, coordinatorTable, manyPath, manyTable, versus, everyTime, ct);
        }
        finally
        {
            // the bench's later cases (and a --keep inspection) see the schema the migrations leave
            await using var drop = ctx.Data.CreateCommand(TimelineGuideBaseline.UninstallSql);
            await drop.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }

    private static async Task<CaseResult> RunWithGuideAsync(BenchContext ctx, CaseResult result, Random rng, string many,
        Reader service, Reader coordinatorPath, Reader coordinatorTable, Reader manyPath, Reader manyTable,
        (string Caller, Reader Product, Reader Guide)[] versus, Reader[] everyTime, CancellationToken ct)
    {
        var size = ctx.Size;
        await using var connection = await ctx.Data.OpenConnectionAsync(ct);
        var sampleMentor = () => SampleMentor(ctx, rng);
        result.Notes.Add("The guide's baseline: indexes its policy filters on, all already in the schema (the baseline adds none): " +
                         string.Join("; ", await TimelineGuideBaseline.PolicyIndexesAsync(ctx.Data, ct)) + ".");

        // the plan, once, for the two table readers the index must serve
        foreach (var reader in new[] { service, coordinatorTable })
        {
            var plan = await ExplainAsync(connection, ctx, sampleMentor(), reader, ct);
            var usesIndex = plan.GetRawText().Contains(DataLoaderIndexName, StringComparison.Ordinal);
            var nodes = string.Join(" → ", PlanNodes(plan.GetProperty("Plan")));
            var who = reader == service ? "service_role" : "coordinator (RLS)";
            result.Notes.Add($"plan as {who}: {nodes}; composite index {(usesIndex ? "used" : "NOT used")}.");
            result.Figures.Add(new Figure(Id, $"plan uses {DataLoaderIndexName}, {who}",
                usesIndex ? 1 : 0, "yes=1", null, null, null, "the composite index in the plan", usesIndex,
                usesIndex ? "met" : "missed: the plan does not use the composite index", [usesIndex ? 1 : 0], []));
        }

        foreach (var reader in new[] { service, coordinatorTable, manyTable }.Concat(versus.Select(v => v.Guide)))
        {
            var mentor = sampleMentor();
            await BeginAsAsync(connection, ctx, mentor, reader, ct);
            var lines = await ExplainTextAsync(connection, "explain (analyze, buffers, verbose) " + reader.Sql, mentor, ct);
            result.Details[$"EXPLAIN (ANALYZE, BUFFERS, VERBOSE) as {reader.Name}"] = string.Join('\n', lines);
        }
        result.Notes.Add("The repository path's plans run inside mentor_status_private.mentor_timeline (EXPLAIN shows a Function Scan): " +
                         "the point check as a statement of its own (peer_mentors by id, chapter_memberships by mentor, then coordinator_assignments " +
                         "per chapter of the mentor), then service_role's statement. Both calls of a session from the sixth on run PL/pgSQL's generic plans.");

        // The stranger: signed in, no mentor row, coordinates nothing.
        var strangerRows = new List<double>(); var strangerBuffers = new List<double>();
        {
            await BeginAsAsync(connection, ctx, 1, Who.Stranger, "authenticated", ct);
            var lines = await ExplainTextAsync(connection, "explain (analyze, buffers, verbose) " + StrangerNewestSql, null, ct);
            result.Details["EXPLAIN (ANALYZE, BUFFERS, VERBOSE) of a stranger's newest 10 over the whole history"] = string.Join('\n', lines);
        }

        var coldP50 = new List<double>(); var coldP99 = new List<double>(); var coldAll = new List<double>();
        for (var run = 1; run <= size.Runs; run++)
        {
            ctx.Say($"timeline, run {run}/{size.Runs}: {size.TimelineSamples} random mentors of the first {size.ManyChapters} chapters, {everyTime.Length + 1} readers…");
            var server = everyTime.Append(manyTable).ToDictionary(r => r, _ => new List<double>());
            var client = everyTime.Append(manyTable).ToDictionary(r => r, _ => new List<double>());
            var cold = new List<double>();
            for (var i = 0; i < size.TimelineSamples; i++)
            {
                var mentor = sampleMentor();
                // The mentor's first read brings its pages into shared buffers (from the OS cache or the disk) and is
                // timed on its own, as service_role: the readers compared below then all find the same pages cached.
                // Without it, whichever reader came first paid the cold read (a quarter of each reader's samples),
                // so every server-side p99 measured the storage, not the read path.
                cold.Add((await ExplainAsync(connection, ctx, mentor, service, ct)).GetProperty("Execution Time").GetDouble());
                await WarmAccessPagesAsync(connection, mentor, ct);
                IEnumerable<Reader> readers = i < ManyChapterTableSamples ? everyTime.Append(manyTable) : everyTime;
                // a new order for every mentor: no reader always finds the pages warm, and none always follows the
                // same reader (with a fixed rotation the reader after service_role's read measured ~0.03-0.09 ms
                // more at p50 on the loaded machine)
                var list = readers.ToArray();
                rng.Shuffle(list);
                foreach (var reader in list)
                {
                    server[reader].Add((await ExplainAsync(connection, ctx, mentor, reader, ct)).GetProperty("Execution Time").GetDouble());
                    client[reader].Add(await TimeQueryAsync(connection, ctx, mentor, reader, ct));
                }
            }
            foreach (var (reader, s) in server)
            {
                reader.P50.Add(Stats.Percentile(s, 50)); reader.P99.Add(Stats.Percentile(s, 99)); reader.All.AddRange(s);
                var c = client[reader];
                reader.ClientP50.Add(Stats.Percentile(c, 50)); reader.ClientP99.Add(Stats.Percentile(c, 99)); reader.AllClient.AddRange(c);
            }
            coldP50.Add(Stats.Percentile(cold, 50)); coldP99.Add(Stats.Percentile(cold, 99)); coldAll.AddRange(cold);
            var (rows, buffers) = await StrangerCostAsync(connection, ctx, ct);
            strangerRows.Add(rows); strangerBuffers.Add(buffers);
        }

        foreach (var (pct, runs, baseline) in new[] { ("p50", coldP50, service.P50), ("p99", coldP99, service.P99) })
            result.Figures.Add(Figures.Compare(Id, $"{pct} server-side, first read of a mentor (cold), service_role", "ms", runs,
                $"service_role {pct} server-side, pages cached", baseline, "— (reference: the storage, the same for every reader)",
                (_, _, _) => null, (_, _, q) => $"{q:F2}× the cached read"));
        result.Figures.Add(Figures.Compare(Id, "p99 server-side, service_role", "ms", service.P99, null, null,
            "≤ 1 ms", (v, _, _) => v <= 1.0, (v, _, _) => v <= 1.0 ? "met" : $"missed by {v - 1.0:F2} ms"));
        foreach (var reader in new[] { coordinatorPath, manyPath })
        {
            result.Figures.Add(Figures.Compare(Id, $"p50 server-side, {reader.Name}", "ms", reader.P50,
                "service_role p50 server-side", service.P50, $"≤ {ServerRatioTarget}× service_role",
                (_, _, q) => q <= ServerRatioTarget,
                (_, _, q) => q <= ServerRatioTarget ? $"met: {q:F2}×" : $"missed by {q - ServerRatioTarget:F2}×: {q:F2}×"));
            result.Figures.Add(Figures.Compare(Id, $"p99 server-side, {reader.Name}", "ms", reader.P99,
                "service_role p99 server-side", service.P99, $"≤ 1 ms and ≤ {ServerRatioTarget}× service_role",
                (v, _, q) => v <= 1.0 && q <= ServerRatioTarget,
                (v, _, q) => (v <= 1.0 ? "≤ 1 ms met" : $"≤ 1 ms missed by {v - 1.0:F2} ms") + "; " +
                             (q <= ServerRatioTarget ? $"{q:F2}× service_role, met" : $"{q:F2}× service_role, missed by {q - ServerRatioTarget:F2}×")));
        }
        foreach (var reader in new[] { coordinatorTable, manyTable })
            foreach (var (pct, runs, baseline) in new[] { ("p50", reader.P50, service.P50), ("p99", reader.P99, service.P99) })
                result.Figures.Add(Figures.Compare(Id, $"{pct} server-side, {reader.Name}", "ms", runs,
                    $"service_role {pct} server-side", baseline, "— (reference: a PostgREST read of the table)",
                    (_, _, _) => null, (_, _, q) => $"{q:F2}×"));
        foreach (var reader in new[] { coordinatorPath, manyPath })
            foreach (var (pct, runs, baseline) in new[] { ("p50", reader.ClientP50, service.ClientP50), ("p99", reader.ClientP99, service.ClientP99) })
                result.Figures.Add(Figures.Compare(Id, $"{pct} client-side round trip, {reader.Name}", "ms", runs,
                    $"service_role {pct} client-side", baseline, $"≤ {RoundTripRatioTarget}× service_role",
                    (_, _, q) => q <= RoundTripRatioTarget,
                    (_, _, q) => q <= RoundTripRatioTarget ? $"met: {q:F2}×" : $"missed by {q - RoundTripRatioTarget:F2}×: {q:F2}×"));
        // the app's read against the guide's, per caller: ratio product / guide, ahead when below 1
        foreach (var (caller, product, guide) in versus)
            foreach (var (pct, side, runs, baseline) in new[]
                     {
                         ("p50", "server-side", product.P50, guide.P50), ("p99", "server-side", product.P99, guide.P99),
                         ("p50", "client-side round trip", product.ClientP50, guide.ClientP50), ("p99", "client-side round trip", product.ClientP99, guide.ClientP99),
                     })
                result.Figures.Add(Figures.Compare(Id, $"{pct} {side}, {caller}, app's rpc vs the guide's policy", "ms", runs,
                    $"the guide's policy, {pct} {side}", baseline, "< 1× the guide's (ahead of it)",
                    (_, _, q) => q < 1.0,
                    (_, _, q) => q < 1.0 ? $"met: {q:F2}× the guide's" : $"missed: {q:F2}× the guide's"));
        result.Figures.Add(Figures.Compare(Id, "history rows read by a stranger's newest 10", "rows", strangerRows, null, null,
            "0 (what they may see)", (v, _, _) => v == 0, (v, _, _) => v == 0 ? "met" : $"missed: {v:N0} rows read"));
        result.Figures.Add(Figures.Compare(Id, "buffers touched by a stranger's newest 10", "buffers", strangerBuffers, null, null,
            "< 50", (v, _, _) => v < 50, (v, _, _) => v < 50 ? "met" : $"missed: {v:N0} buffers"));

        result.Latencies.Add(LatencySummary.Of("timeline server-side, first read of a mentor (cold), service_role", coldAll));
        var (guideStrangerRows, guideStrangerBuffers, guideStrangerMs) = await GuideStrangerNewestAsync(connection, ctx, result, ct);
        result.Figures.Add(Figures.Compare(Id, "history rows read by a stranger's newest 10, the guide's policy", "rows", [guideStrangerRows], null, null,
            "— (reference: the product's policy reads 0)", (_, _, _) => null, (v, _, _) => $"{v:N0} rows, {guideStrangerBuffers:N0} buffers, {guideStrangerMs:N0} ms"));

        foreach (var reader in everyTime.Append(manyTable))
        {
            result.Latencies.Add(LatencySummary.Of($"timeline server-side, {reader.Name}", reader.All));
            result.Latencies.Add(LatencySummary.Of($"timeline client-side, {reader.Name}", reader.AllClient));
        }
        result.Notes.Add($"Mentors are drawn from the first {size.ManyChapters} chapters, so that every reader may see each one; " +
                         $"the {many} reads the table under RLS on the first {ManyChapterTableSamples} mentors of each run only.");
        result.Notes.Add("Each mentor is read once first, untimed for the comparison (its own \"first read (cold)\" figure), and the rest of what any reader " +
                         "reads for it (all its history rows, its peer_mentors row, its memberships, its chapters' memberships) once after: every reader's " +
                         "samples are then reads of cached pages, so the ratios compare the read paths, not who met the storage first.");
        result.Notes.Add($"The guide's baseline (bench/MentorStatus.Bench/Cases/TimelineGuideBaseline.cs) is a SELECT policy on the history for the role " +
                         $"{TimelineGuideBaseline.Role} (authenticated's stand-in, so that the product's policies and the guide's each apply to one role " +
                         "on the same table, heap and cached pages): a per-row exists over chapter_memberships ⋈ coordinator_assignments with " +
                         "(select auth.uid()); its join tables carry a using (true) policy for that role, the guide's best case. It is read as PostgREST reads " +
                         "a table (role and request.jwt.claims set in the transaction, then select … where mentor_id = $1 order by changed_at desc limit 51); " +
                         "the product as the app reads it, the rpc public.mentor_timeline with the same limit. Both are prepared statements in the " +
                         "client-side round trip, as PostgREST sends them (unprepared, the guide's statement is planned on every request: its plan " +
                         "holds the policy's subquery, ≈ 0.7 ms of planning).");
        result.Notes.Add("Server-side = EXPLAIN (ANALYZE, TIMING OFF) \"Execution Time\" (planning excluded); client-side = " +
                         "Stopwatch around the query alone (role and claims are set before, in the same transaction, as the repository does).");
        return result;
    }

    private const string DataLoaderIndexName = Data.DataLoader.TimelineIndex;

    /// <summary>A random mentor of one of the many-chapter coordinator's chapters.</summary>
    private static int SampleMentor(BenchContext ctx, Random rng)
    {
        while (true)
        {
            var mentor = rng.Next(1, ctx.Size.Mentors + 1);
            if (ctx.Loader.ChapterOf(mentor) <= ctx.Size.ManyChapters) return mentor;
        }
    }

    private static Task BeginAsAsync(NpgsqlConnection connection, BenchContext ctx, int mentor, Reader reader, CancellationToken ct) =>
        BeginAsAsync(connection, ctx, mentor, reader.Who, reader.Role, ct);

    /// <summary>What PostgREST does before a request's query: a transaction, the role, the JWT's claims as a transaction-local setting.</summary>
    private static async Task BeginAsAsync(NpgsqlConnection connection, BenchContext ctx, int mentor, Who who, string role, CancellationToken ct)
    {
        await using var batch = new NpgsqlBatch(connection);
        batch.BatchCommands.Add(new NpgsqlBatchCommand("begin"));
        if (who == Who.Service) batch.BatchCommands.Add(new NpgsqlBatchCommand("set local role service_role"));
        else
        {
            var user = who switch
            {
                Who.Coordinator => Ids.Coordinator(ctx.Loader.ChapterOf(mentor)),
                Who.ManyChapters => Ids.ManyChapterCoordinator,
                _ => Ids.Stranger,
            };
            batch.BatchCommands.Add(new NpgsqlBatchCommand($"set local role {role}"));
            batch.BatchCommands.Add(new NpgsqlBatchCommand("select set_config('request.jwt.claims', $1, true)")
                { Parameters = { new() { Value = Ids.Claims(user) } } });
        }
        await batch.ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// The rest of what any reader reads for this mentor: all its history rows (the cold read fetched the newest 51;
    /// a reader that filters rows instead of checking first, like the guide's policy for a stranger, reads them all),
    /// its peer_mentors row and memberships (the repository's and the rpc's point check), the memberships of its
    /// chapters (the set the guide's policy hashes and the product's table policy builds). Read once, untimed, after
    /// the cold read, so that no reader's samples pay for a page another reader happened to bring in first: the newest
    /// history pages alone favoured the guide, whose chapter pages stay hot across mentors while the point check's pages
    /// are the mentor's own, and disfavoured it for a stranger. The counted columns are outside the indexes, so the heap
    /// pages are read too (an index-only scan would skip them).
    /// </summary>
    private const string WarmAccessSql = """
        select (select count(new_status) from public.peer_mentor_status_history where mentor_id = $1)
             + (select count(created_at) from public.peer_mentors where id = $1)
             + (select count(*) from public.chapter_memberships where mentor_id = $1)
             + (select count(*) from public.chapter_memberships
                where chapter_id in (select chapter_id from public.chapter_memberships where mentor_id = $1))
        """;

    private static async Task WarmAccessPagesAsync(NpgsqlConnection connection, int mentor, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(WarmAccessSql, connection) { Parameters = { new() { Value = Ids.Mentor(mentor) } } };
        await command.ExecuteScalarAsync(ct);
    }

    private static NpgsqlCommand Command(NpgsqlConnection connection, string sql, int? mentor)
    {
        var command = new NpgsqlCommand(sql, connection);
        if (mentor is { } m)
        {
            command.Parameters.Add(new() { Value = Ids.Mentor(m) });
            command.Parameters.Add(new() { Value = DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
            command.Parameters.Add(new() { Value = DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid });
            command.Parameters.Add(new() { Value = PageSize + 1 });
        }
        return command;
    }

    private static async Task CommitAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        await using var commit = new NpgsqlCommand("commit", connection);
        await commit.ExecuteNonQueryAsync(ct);
    }

    private static async Task<List<string>> ExplainTextAsync(NpgsqlConnection connection, string sql, int? mentor, CancellationToken ct)
    {
        var lines = new List<string>();
        await using (var command = Command(connection, sql, mentor))
        await using (var reader = await command.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct)) lines.Add(reader.GetString(0));
        await CommitAsync(connection, ct);
        return lines;
    }

    private static async Task<JsonElement> ExplainAsync(NpgsqlConnection connection, BenchContext ctx, int mentor, Reader reader, CancellationToken ct)
    {
        await BeginAsAsync(connection, ctx, mentor, reader, ct);
        await using var command = Command(connection, "explain (analyze, timing off, format json) " + reader.Sql, mentor);
        var json = (string)(await command.ExecuteScalarAsync(ct))!;
        await CommitAsync(connection, ct);
        return JsonDocument.Parse(json).RootElement[0].Clone();
    }

    private static async Task<double> TimeQueryAsync(NpgsqlConnection connection, BenchContext ctx, int mentor, Reader reader, CancellationToken ct)
    {
        await BeginAsAsync(connection, ctx, mentor, reader, ct);
        await using var command = Command(connection, reader.Sql, mentor);
        // Npgsql keeps a prepared statement per connection and SQL text: after the first call this only binds
        if (reader.Prepared) await command.PrepareAsync(ct);
        var t0 = Stopwatch.GetTimestamp();
        await using (var rows = await command.ExecuteReaderAsync(ct))
            while (await rows.ReadAsync(ct)) _ = rows.GetGuid(0);
        var elapsed = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        await CommitAsync(connection, ct);
        return elapsed;
    }

    /// <summary>History rows a stranger's newest-10 read (returned plus thrown away by a filter) and the buffers of the whole plan.</summary>
    private static async Task<(long Rows, long Buffers)> StrangerCostAsync(NpgsqlConnection connection, BenchContext ctx, CancellationToken ct)
    {
        await BeginAsAsync(connection, ctx, 1, Who.Stranger, "authenticated", ct);
        string json;
        await using (var command = Command(connection, "explain (analyze, buffers, format json) " + StrangerNewestSql, null))
            json = (string)(await command.ExecuteScalarAsync(ct))!;
        await CommitAsync(connection, ct);
        var (rows, buffers, _) = HistoryRowsAndBuffers(json);
        return (rows, buffers);
    }

    /// <summary>
    /// The same newest-10 of a stranger under the guide's per-row policy, once: no index leads with changed_at, and
    /// the policy is a filter on rows, so the whole history is read and tested (PostgreSQL hashes the subquery's
    /// answer once). A statement timeout bounds it on a slow machine.
    /// </summary>
    private static async Task<(long Rows, long Buffers, double Ms)> GuideStrangerNewestAsync(NpgsqlConnection connection, BenchContext ctx,
        CaseResult result, CancellationToken ct)
    {
        await BeginAsAsync(connection, ctx, 1, Who.Stranger, TimelineGuideBaseline.Role, ct);
        string json;
        await using (var timeout = new NpgsqlCommand("set local statement_timeout = '120s'", connection))
            await timeout.ExecuteNonQueryAsync(ct);
        await using (var command = Command(connection, "explain (analyze, buffers, format json) " + StrangerNewestSql, null))
            json = (string)(await command.ExecuteScalarAsync(ct))!;
        await CommitAsync(connection, ct);
        result.Details["EXPLAIN (ANALYZE, BUFFERS, VERBOSE) of a stranger's newest 10 over the whole history, the guide's policy"] =
            JsonDocument.Parse(json).RootElement[0].GetProperty("Plan").ToString();
        return HistoryRowsAndBuffers(json);
    }

    /// <summary>History rows a plan read (returned plus thrown away by a filter), the buffers of the whole plan, its execution time.</summary>
    private static (long Rows, long Buffers, double Ms) HistoryRowsAndBuffers(string json)
    {
        var root = JsonDocument.Parse(json).RootElement[0];
        var plan = root.GetProperty("Plan");
        long rows = 0;
        void Walk(JsonElement node)
        {
            if (node.TryGetProperty("Relation Name", out var relation) && relation.GetString() == "peer_mentor_status_history")
            {
                rows += node.GetProperty("Actual Rows").GetInt64() * node.GetProperty("Actual Loops").GetInt64();
                foreach (var removed in new[] { "Rows Removed by Filter", "Rows Removed by Index Recheck" })
                    if (node.TryGetProperty(removed, out var r)) rows += r.GetInt64();
            }
            if (node.TryGetProperty("Plans", out var children))
                foreach (var child in children.EnumerateArray()) Walk(child);
        }
        Walk(plan);
        return (rows, plan.GetProperty("Shared Hit Blocks").GetInt64() + plan.GetProperty("Shared Read Blocks").GetInt64(),
            root.GetProperty("Execution Time").GetDouble());
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
