using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace MentorStatus.Bench.Cases;

/// <summary>
/// Status changes per second at 2 and 8 clients: the C# path vs pgbench running the same SQL with the same
/// round trips (a pipeline for begin + lock_timeout + role + claims, the rpc, commit), and pgbench -N.
/// Every client works on its own mentors (no lock waits), alternating self_pause and self_resume.
/// </summary>
public static class StatusChangeCase
{
    public const string Id = "status_change";
    public static readonly int[] ClientCounts = [2, 8];

    // Each pgbench "transaction" of this script is two status changes (pause, then resume: the mentor is
    // active again afterwards), so its tps is doubled to compare status changes per second.
    private const string Script = """
        \set n random(0, :per - 1) * :nclients + :client_id + 1
        \startpipeline
        begin;
        select set_config('lock_timeout', '5000ms', true);
        set local role authenticated;
        select set_config('request.jwt.claims', '{"sub":"00000000-0000-4000-b003-' || lpad(to_hex(:n::bigint), 12, '0') || '","role":"authenticated"}', true);
        \endpipeline
        select id, mentor_id, previous_status, new_status, changed_by, changed_at, reason, job_run_id from public.change_mentor_status(('00000000-0000-4000-b004-' || lpad(to_hex(:n::bigint), 12, '0'))::uuid, 'paused', 'self_pause');
        commit;
        \startpipeline
        begin;
        select set_config('lock_timeout', '5000ms', true);
        set local role authenticated;
        select set_config('request.jwt.claims', '{"sub":"00000000-0000-4000-b003-' || lpad(to_hex(:n::bigint), 12, '0') || '","role":"authenticated"}', true);
        \endpipeline
        select id, mentor_id, previous_status, new_status, changed_by, changed_at, reason, job_run_id from public.change_mentor_status(('00000000-0000-4000-b004-' || lpad(to_hex(:n::bigint), 12, '0'))::uuid, 'active', 'self_resume');
        commit;

        """;

    public static async Task<CaseResult> RunAsync(BenchContext ctx, CancellationToken ct)
    {
        var result = new CaseResult(Id, "Status change through the C# path, 2 and 8 clients");
        var size = ctx.Size;
        var scriptFile = Path.Combine(ctx.WorkDirectory, "status_change.pgbench");
        await File.WriteAllTextAsync(scriptFile, Script, ct);

        ctx.Say($"pgbench -i -s {size.PgbenchScale} (database pgbench, for the -N baseline)…");
        await LiftRateLimitAsync(ctx, ct);
        await ctx.ExecAsync("create database pgbench", ct);
        await ctx.Pgbench.ExecAsync("pgbench", ["-i", "-q", "-s", size.PgbenchScale.ToString(CultureInfo.InvariantCulture)], ct);

        await using var pathSource = LibraryDataSource(ctx);
        await MentorStatusDataSource.VerifyAsync(pathSource, ct);
        var path = new RepositoryStatusChangePath(pathSource);
        // Diagnostic: the same path on Npgsql's default pool, which resets a reused connection with DISCARD ALL and so
        // throws away the session's cached plans (change_mentor_status's PL/pgSQL plans included). The library's own
        // data source turns that reset off; pgbench keeps one session per client.
        await using var resettingSource = ResettingDataSource(ctx);
        IStatusChangePath resetting = new RepositoryStatusChangePath(resettingSource, "Npgsql's default pool (DISCARD ALL on reuse)");
        // Diagnostic: the library's data source with Npgsql multiplexing (many callers' batches share connections and
        // writes). Each repository call is one batch with one Sync (an implicit transaction), which multiplexing allows.
        await using var multiplexingSource = MentorStatusDataSource.Create(
            new Npgsql.NpgsqlConnectionStringBuilder(PoolConnectionString(ctx)) { Multiplexing = true }.ConnectionString);
        IStatusChangePath multiplexing = new RepositoryStatusChangePath(multiplexingSource, "Multiplexing=true");
        result.Notes.Add($"C# path: {path.Name}; a connection from the pool per status change, as the repository does.");
        var seconds = (int)Math.Max(1, size.StatusRunDuration.TotalSeconds);

        foreach (var clients in ClientCounts)
        {
            var per = size.StatusPool / clients;
            string[] PgbenchArgs(int duration) =>
            [
                "-n", "-M", "extended", "-c", clients.ToString(CultureInfo.InvariantCulture), "-j", Math.Min(clients, 2).ToString(CultureInfo.InvariantCulture),
                "-T", duration.ToString(CultureInfo.InvariantCulture), "-f", scriptFile,
                "-D", $"per={per}", "-D", $"nclients={clients}",
            ];
            string[] SimpleArgs(int duration) =>
            [
                "-n", "-N", "-c", clients.ToString(CultureInfo.InvariantCulture), "-j", Math.Min(clients, 2).ToString(CultureInfo.InvariantCulture),
                "-T", duration.ToString(CultureInfo.InvariantCulture),
            ];

            // warm-up: caches, pools, plans
            if (size.WarmupSeconds > 0)
            {
                await ResetPoolAsync(ctx, ct);
                await RunClientsAsync(path, clients, per, TimeSpan.FromSeconds(size.WarmupSeconds), [], ct);
                await RunClientsAsync(resetting, clients, per, TimeSpan.FromSeconds(size.WarmupSeconds), [], ct);
                await RunClientsAsync(multiplexing, clients, per, TimeSpan.FromSeconds(size.WarmupSeconds), [], ct);
                await ResetPoolAsync(ctx, ct);
                // a warm-up's figures are not used: on a busy machine a 1 s run may finish no transaction and print no tps
                await ctx.Pgbench.ExecAsync(BenchContext.Database, PgbenchArgs(size.WarmupSeconds), ct);
            }

            var csharp = new List<double>();
            var csharpResetting = new List<double>();
            var csharpMultiplexing = new List<double>();
            var csharpCpu = new List<double>();
            var csharpBytes = new List<double>();
            var csharpWorkItems = new List<double>();
            var pgbenchCpu = new List<double>();
            var custom = new List<double>();
            var simple = new List<double>();
            var latencies = new ConcurrentBag<double>();
            for (var run = 1; run <= size.Runs; run++)
            {
                ctx.Say($"status change, {clients} clients, run {run}/{size.Runs}: C#, pgbench script, pgbench -N ({seconds} s each)…");
                await ResetPoolAsync(ctx, ct);
                var run1 = await RunClientsAsync(path, clients, per, size.StatusRunDuration, latencies, ct);
                csharp.Add(run1.Tps);
                csharpCpu.Add(run1.CpuMsPerChange);
                csharpBytes.Add(run1.BytesPerChange);
                csharpWorkItems.Add(run1.WorkItemsPerChange);
                await ResetPoolAsync(ctx, ct);
                csharpResetting.Add((await RunClientsAsync(resetting, clients, per, size.StatusRunDuration, [], ct)).Tps);
                await ResetPoolAsync(ctx, ct);
                csharpMultiplexing.Add((await RunClientsAsync(multiplexing, clients, per, size.StatusRunDuration, [], ct)).Tps);
                await ResetPoolAsync(ctx, ct);
                var script = await ctx.Pgbench.RunAsync(BenchContext.Database, PgbenchArgs(seconds), ct);
                custom.Add(script.Tps * 2);
                if (script.Transactions > 0) pgbenchCpu.Add(script.CpuSeconds * 1000 / (script.Transactions * 2));
                simple.Add((await ctx.Pgbench.RunAsync("pgbench", SimpleArgs(seconds), ct)).Tps);
            }

            result.Figures.Add(Figures.Compare(Id, $"status changes/s, {clients} clients, C# path", "tx/s", csharp,
                "pgbench, same SQL (custom script)", custom, "≥ 1.0× the custom pgbench script",
                (_, _, r) => r >= 1.0,
                (v, b, r) => r >= 1.0
                    ? $"met: {r:F2}× the script"
                    : $"missed by {(1.0 - r) * 100:F0} points: {r:F2}× the script ({Figures.F(v)} vs {Figures.F(b ?? double.NaN)} tx/s)"));
            result.Figures.Add(Figures.Compare(Id, $"status changes/s, {clients} clients, C# path on Npgsql's default resetting pool (diagnostic)", "tx/s", csharpResetting,
                "pgbench, same SQL (custom script)", custom, "— (diagnostic)", (_, _, _) => null,
                (_, _, r) => $"{r:F2}× the script"));
            result.Figures.Add(Figures.Compare(Id, $"status changes/s, {clients} clients, C# path with Multiplexing=true (diagnostic)", "tx/s", csharpMultiplexing,
                "C# path, the library's data source", csharp, "— (diagnostic)", (_, _, _) => null,
                (_, _, r) => $"{r:F2}× the library's data source without multiplexing"));
            result.Figures.Add(Figures.Compare(Id, $"status changes/s, {clients} clients, C# path", "tx/s", csharp,
                "pgbench -N (built-in simple update)", simple, "— (reference)", (_, _, _) => null,
                (_, _, r) => $"{r:F2}× pgbench -N"));
            result.Figures.Add(Figures.Compare(Id, $"status changes/s, {clients} clients, pgbench custom script", "tx/s", custom,
                "pgbench -N (built-in simple update)", simple, "— (reference)", (_, _, _) => null,
                (_, _, r) => $"{r:F2}× pgbench -N: the cost of the rpc (checks, lock, update, history insert, RLS role)"));
            result.Figures.Add(Figures.Compare(Id, $"client CPU per status change, {clients} clients, C# path", "ms", csharpCpu,
                "pgbench client CPU per status change", pgbenchCpu, "— (diagnostic)", (_, _, _) => null,
                (_, _, r) => $"{r:F1}× pgbench's client CPU, on the 2 cores the server also needs"));
            result.Figures.Add(Figures.Compare(Id, $"client bytes allocated per status change, {clients} clients, C# path", "bytes", csharpBytes,
                null, null, "— (diagnostic)", (_, _, _) => null,
                (v, _, _) => $"{Figures.F(v)} bytes and {Figures.F(Stats.Median(csharpWorkItems))} thread-pool work items per change (whole process)"));
            result.Latencies.Add(LatencySummary.Of($"status change, C#, {clients} clients", latencies.ToArray()));
        }
        await CountRoundTripsAsync(ctx, scriptFile, result, ct);
        result.Notes.Add("Every client changes only its own mentors (no lock waits between clients); a pgbench script " +
                         "transaction is a pause and a resume, i.e. two status changes, so its tps is doubled.");
        result.Notes.Add("The C# load generator and pgbench run on the same 2 cores as the server: both take CPU from it, " +
                         "the .NET client more than pgbench's C.");
        return result;
    }

    /// <summary>
    /// Round trips per status change, counted on the wire (Sync and Query messages through a counting proxy):
    /// the repository and the pgbench script, 100 pauses and 100 resumes each, after a warm-up.
    /// </summary>
    private static async Task CountRoundTripsAsync(BenchContext ctx, string scriptFile, CaseResult result, CancellationToken ct)
    {
        const int Pairs = 100;
        await ResetPoolAsync(ctx, ct);
        await using var counter = new MentorStatus.TestSupport.WireRoundTripCounter("127.0.0.1", ctx.Cluster.Cluster.Port);
        var proxied = new Npgsql.NpgsqlConnectionStringBuilder(PoolConnectionString(ctx)) { Port = counter.Port, SslMode = Npgsql.SslMode.Disable };
        await using var source = MentorStatusDataSource.Create(proxied.ConnectionString);
        var path = new RepositoryStatusChangePath(source);
        async Task PairsAsync(int pairs)
        {
            for (var i = 1; i <= pairs; i++)
            {
                await path.ChangeAsync(Ids.MentorUser(i), Ids.Mentor(i), BenchStatus.Paused, "self_pause", ct);
                await path.ChangeAsync(Ids.MentorUser(i), Ids.Mentor(i), BenchStatus.Active, "self_resume", ct);
            }
        }
        await PairsAsync(10); // connection open, auto-prepare
        var before = counter.RoundTrips;
        await PairsAsync(Pairs);
        var csharp = (counter.RoundTrips - before) / (2.0 * Pairs);

        var viaProxy = new Pgbench(ctx.Cluster.Cluster.Installation.BinDirectory, counter.Port, ctx.Cluster.Cluster.Password);
        before = counter.RoundTrips;
        await viaProxy.RunAsync(BenchContext.Database,
            ["-n", "-M", "extended", "-c", "1", "-t", Pairs.ToString(CultureInfo.InvariantCulture), "-f", scriptFile, "-D", $"per={Pairs}", "-D", "nclients=1"], ct);
        var script = (counter.RoundTrips - before) / (2.0 * Pairs);
        result.Figures.Add(Figures.Compare(Id, "round trips per status change, C# path", "round trips", [csharp],
            "pgbench script, same SQL", [script], "1 (one batch: settings, call, commit)", (v, _, _) => v <= 1.0,
            (v, b, _) => $"{v:F2} per change (pgbench script: {b:F2})"));
    }

    /// <summary>The library's own data source (MentorState mapped), on the bench database.</summary>
    private static Npgsql.NpgsqlDataSource LibraryDataSource(BenchContext ctx) =>
        MentorStatusDataSource.Create(PoolConnectionString(ctx));

    /// <summary>The same mapping on a pool with Npgsql's default reset (DISCARD ALL), for the diagnostic.</summary>
    private static Npgsql.NpgsqlDataSource ResettingDataSource(BenchContext ctx)
    {
        var builder = new Npgsql.NpgsqlDataSourceBuilder(PoolConnectionString(ctx));
        builder.MapEnum<MentorState>("public.mentor_status");
        return builder.Build();
    }

    internal static string PoolConnectionString(BenchContext ctx) =>
        new Npgsql.NpgsqlConnectionStringBuilder(ctx.Cluster.Target(BenchContext.Database).ConnectionString)
        {
            MaxPoolSize = 16, ApplicationName = "mentorstatus-bench",
        }.ConnectionString;

    /// <summary>
    /// Makes every mentor of the pool active again (a run cut short might leave one paused): with a history record in the
    /// same statement, as the status rules require of every change.
    /// </summary>
    internal static Task ResetPoolAsync(BenchContext ctx, CancellationToken ct) =>
        ctx.ExecAsync($"""
            with reset as (
                update public.peer_mentors m set status = 'active', status_changed_at = clock_timestamp()
                from public.peer_mentors old
                where old.id = m.id and old.status <> 'active'
                  and m.id between '{Ids.Mentor(1)}' and '{Ids.Mentor(ctx.Size.StatusPool)}'
                returning m.id, old.status as previous_status, m.status_changed_at)
            insert into public.peer_mentor_status_history (mentor_id, previous_status, new_status, changed_by, changed_at, reason)
            select r.id, r.previous_status, 'active', null, r.status_changed_at, 'coordinator_resume' from reset r
            """, ct);

    /// <summary>
    /// The bench pauses and resumes each mentor many times a run: lift the self-change rate limit (10 a day)
    /// on the bench database. The rpc still counts the mentor's recent changes, as it does in production.
    /// </summary>
    internal static Task LiftRateLimitAsync(BenchContext ctx, CancellationToken ct) =>
        ctx.ExecAsync("update public.mentor_status_settings set self_change_limit = 1000000, updated_at = now()", ct);

    /// <summary>What a client run measured: status changes per second and, per change, the load generator's costs.</summary>
    /// <param name="CpuMsPerChange">user + system CPU of the whole bench process</param>
    /// <param name="BytesPerChange">bytes allocated by the process (every thread: Npgsql's I/O completions included)</param>
    /// <param name="WorkItemsPerChange">thread-pool work items completed (continuations, I/O callbacks): the thread hops</param>
    internal sealed record ClientRun(double Tps, double CpuMsPerChange, double BytesPerChange, double WorkItemsPerChange);

    /// <summary>Runs the clients for <paramref name="duration"/>; returns status changes per second and the client's costs per change.</summary>
    internal static async Task<ClientRun> RunClientsAsync(IStatusChangePath path, int clients, int per, TimeSpan duration,
        ConcurrentBag<double> latencies, CancellationToken ct)
    {
        var count = 0L;
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        var bytes0 = GC.GetTotalAllocatedBytes(precise: true);
        var items0 = ThreadPool.CompletedWorkItemCount;
        var clock = Stopwatch.StartNew();
        var tasks = Enumerable.Range(0, clients).Select(client => Task.Run(async () =>
        {
            var rng = new Random(client * 7919 + Environment.TickCount);
            var local = new List<double>();
            var done = 0L;
            while (clock.Elapsed < duration)
            {
                var n = (long)rng.Next(0, per) * clients + client + 1;
                var user = Ids.MentorUser(n);
                var mentor = Ids.Mentor(n);
                var t0 = Stopwatch.GetTimestamp();
                await path.ChangeAsync(user, mentor, BenchStatus.Paused, "self_pause", ct);
                var t1 = Stopwatch.GetTimestamp();
                await path.ChangeAsync(user, mentor, BenchStatus.Active, "self_resume", ct);
                var t2 = Stopwatch.GetTimestamp();
                local.Add(Stopwatch.GetElapsedTime(t0, t1).TotalMilliseconds);
                local.Add(Stopwatch.GetElapsedTime(t1, t2).TotalMilliseconds);
                done += 2;
            }
            Interlocked.Add(ref count, done);
            foreach (var l in local) latencies.Add(l);
        }, ct)).ToArray();
        await Task.WhenAll(tasks);
        var elapsed = clock.Elapsed.TotalSeconds;
        var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalMilliseconds;
        var bytes = GC.GetTotalAllocatedBytes(precise: true) - bytes0;
        var items = ThreadPool.CompletedWorkItemCount - items0;
        return count == 0
            ? new ClientRun(0, double.NaN, double.NaN, double.NaN)
            : new ClientRun(count / elapsed, cpu / count, (double)bytes / count, (double)items / count);
    }
}
