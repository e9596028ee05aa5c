using System.Collections.Concurrent;
using System.Diagnostics;
using MentorStatus.TestSupport;
using MentorStatus.Tooling.Local;
using Npgsql;
using NpgsqlTypes;

namespace MentorStatus.Bench.Cases;

/// <summary>
/// Read scale-out: a real streaming standby of the bench cluster (pg_basebackup -R, LocalStandby),
/// then timeline reads/s of <see cref="Readers"/> coordinators (RLS, the repository's read path) with the reads split
/// between primary and standby (half through a <see cref="ReadReplica"/>) vs primary only, alternated in the same run;
/// the standby's replay lag meanwhile (a writer keeps changing statuses on the primary); and the cost of
/// read-your-writes: a status change followed by a read of the writer's own timeline that must show it, through the
/// standby waiting for the change's LSN to be replayed, through the standby only if it has already replayed it (else
/// the primary at once), and on the primary alone.
/// </summary>
public static class ReadScaleOutCase
{
    public const string Id = "read_scale_out";
    public const int Readers = 8;

    // Mentors of the status-change pool (active, rate limit lifted): the background writer's and the read-your-writes probe's.
    private const int WriterMentors = 200;
    private const int ProbeMentorsFrom = WriterMentors + 1;
    private static readonly TimeSpan WriterPause = TimeSpan.FromMilliseconds(10);

    private const string LagSql = """
        select coalesce(extract(epoch from replay_lag) * 1000, 0)::float8, pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_current_wal_lsn(), replay_lsn)::float8
        from pg_catalog.pg_stat_replication
        where application_name = $1
        """;

    public static async Task<CaseResult> RunAsync(BenchContext ctx, CancellationToken ct)
    {
        var result = new CaseResult(Id, $"Read scale-out: timeline reads on primary + streaming standby vs primary only, {Readers} readers");
        var size = ctx.Size;
        await StatusChangeCase.LiftRateLimitAsync(ctx, ct);
        await StatusChangeCase.ResetPoolAsync(ctx, ct);

        var primaryCluster = ctx.Cluster.Cluster;
        var standbyPort = BenchCluster.FreePort();
        var directory = Path.Combine(Path.GetTempPath(), $"mentorstatus-bench-standby-{Guid.NewGuid():N}"[..48]);
        LocalCluster? standby = null;
        try
        {
            ctx.Say($"pg_basebackup -R -X stream of the bench cluster, standby on port {standbyPort}…");
            var backupClock = Stopwatch.StartNew();
            standby = await LocalStandby.CreateAsync(primaryCluster, directory, standbyPort, BenchCluster.DataSettings, ct);
            result.Notes.Add($"Standby: pg_basebackup -R -X stream -c fast of the bench cluster ({backupClock.Elapsed.TotalSeconds:F1} s including start), " +
                             "same server settings, hot_standby on, on the same 2 cores as the primary and the load generator.");

            await using var primarySource = MentorStatusDataSource.Create(StatusChangeCase.PoolConnectionString(ctx));
            await using var standbySource = MentorStatusDataSource.Create(new NpgsqlConnectionStringBuilder(standby.Target(BenchContext.Database).ConnectionString)
            {
                MaxPoolSize = 16, ApplicationName = "mentorstatus-bench",
            }.ConnectionString);
            await MentorStatusDataSource.VerifyAsync(standbySource, ct);
            var replica = new ReadReplica(standbySource);
            var primaryOnly = new MentorStatusRepository(primarySource);
            var withReplica = new MentorStatusRepository(primarySource, replica: replica);
            var load = new TimelineReaders(ctx);

            // split: every reader alternates, one read through the ReadReplica (standby), the next on the primary
            MentorStatusRepository OnPrimary(int reader, long n) => primaryOnly;
            MentorStatusRepository Split(int reader, long n) => (reader + n) % 2 == 0 ? withReplica : primaryOnly;
            MentorStatusRepository OnStandby(int reader, long n) => withReplica;

            if (size.WarmupSeconds > 0)
            {
                ctx.Say("warm-up: both servers' caches, pools and plans…");
                await load.RunAsync(Readers, TimeSpan.FromSeconds(size.WarmupSeconds * 2), Split, null, ct);
            }

            var primaryRuns = new List<double>(); var splitRuns = new List<double>(); var standbyRuns = new List<double>();
            var primaryBusy = new List<double>(); var splitBusy = new List<double>();
            var lagMs = new List<double>(); var lagBytes = new List<double>();
            var primaryLatencies = new ConcurrentBag<double>(); var splitLatencies = new ConcurrentBag<double>();
            var writes = 0L;
            await using (var writer = new BackgroundWriter(primaryOnly, ct))
            await using (var lag = new LagSampler(ctx.Data, $"standby_{standbyPort}"))
            {
                for (var run = 1; run <= size.Runs; run++)
                {
                    ctx.Say($"read scale-out, run {run}/{size.Runs}: primary only, split, standby only ({size.StatusRunDuration.TotalSeconds:F0} s each, a writer on the primary)…");
                    // rotate who goes first, so no arm always finds the caches warm or the machine quiet
                    foreach (var arm in Enumerable.Range(0, 3).Select(i => (i + run - 1) % 3))
                    {
                        var cpu0 = MachineCpu.Now();
                        switch (arm)
                        {
                            case 0:
                                primaryRuns.Add((await load.RunAsync(Readers, size.StatusRunDuration, OnPrimary, primaryLatencies, ct)).ReadsPerSecond);
                                primaryBusy.Add(MachineCpu.Now().BusySince(cpu0));
                                break;
                            case 1:
                                lag.Start();
                                splitRuns.Add((await load.RunAsync(Readers, size.StatusRunDuration, Split, splitLatencies, ct)).ReadsPerSecond);
                                splitBusy.Add(MachineCpu.Now().BusySince(cpu0));
                                var (ms, bytes) = await lag.StopAsync();
                                lagMs.AddRange(ms); lagBytes.AddRange(bytes);
                                break;
                            default:
                                standbyRuns.Add((await load.RunAsync(Readers, size.StatusRunDuration, OnStandby, null, ct)).ReadsPerSecond);
                                break;
                        }
                    }
                }
                writes = writer.Changes;
            }

            var busy = $"machine CPU busy {Stats.Median(splitBusy) * 100:F0} % (split) / {Stats.Median(primaryBusy) * 100:F0} % (primary only)";
            result.Figures.Add(Figures.Compare(Id, $"timeline reads/s, {Readers} coordinators (RLS), split primary + standby", "reads/s", splitRuns,
                "primary only", primaryRuns, "> 1.0× primary only",
                (_, _, r) => r > 1.0,
                (v, b, r) => r > 1.0
                    ? $"met: {r:F3}× primary only ({busy})"
                    : $"missed: {r:F3}× primary only ({Figures.F(v)} vs {Figures.F(b ?? double.NaN)} reads/s; {busy}: both servers share the same 2 cores)"));
            result.Figures.Add(Figures.Compare(Id, $"timeline reads/s, {Readers} coordinators (RLS), every read on the standby (ReadReplica)", "reads/s", standbyRuns,
                "primary only", primaryRuns, "— (reference)", (_, _, _) => null, (_, _, r) => $"{r:F2}× primary only"));
            var lagMax = lagMs.Count > 0 ? lagMs.Max() : double.NaN;
            var bytesMax = lagBytes.Count > 0 ? lagBytes.Max() : double.NaN;
            result.Figures.Add(Figures.Compare(Id, "standby replay lag during the split runs (pg_stat_replication.replay_lag), p50", "ms",
                lagMs.Count > 0 ? lagMs : [double.NaN], null, null, "— (report)", (_, _, _) => null,
                (v, _, _) => $"p50 {Figures.F(v)} ms, max {Figures.F(lagMax)} ms over {lagMs.Count} samples; WAL not yet replayed: p50 " +
                             $"{Figures.F(lagBytes.Count > 0 ? Stats.Median(lagBytes) / 1024 : double.NaN)} KiB, max {Figures.F(bytesMax / 1024)} KiB " +
                             $"(a writer changed {writes:N0} statuses on the primary meanwhile)"));
            result.Latencies.Add(LatencySummary.Of($"timeline read, {Readers} readers, primary only", primaryLatencies.ToArray()));
            result.Latencies.Add(LatencySummary.Of($"timeline read, {Readers} readers, split primary + standby", splitLatencies.ToArray()));

            await ReadYourWritesAsync(ctx, primaryOnly, primarySource, standbySource, result, ct);

            result.Notes.Add($"Readers: {Readers} tasks, each a coordinator of a random mentor's chapter calling MentorStatusRepository.GetTimelineAsync " +
                             "(first page of 50, RLS) back to back. Split: each reader alternates a read through ReadReplica (standby) and one on the primary; " +
                             "the arms rotate order per run. A writer changes statuses on the primary (one at a time, 10 ms apart) during every arm.");
            result.Notes.Add("Two cores: the primary, the standby (its startup process replaying WAL, its backends serving reads), the .NET load " +
                             "generator and the writer all run on the same 2 cores, so a second server adds no CPU; with the CPUs saturated the " +
                             "split cannot beat one server. On separate machines (a hosted read replica) the standby's cores add to the primary's.");
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            if (standby is not null)
            {
                ctx.Say("stopping and deleting the standby…");
                try { await standby.DestroyAsync(CancellationToken.None); }
                catch (Exception e) { ctx.Say($"warning: could not remove the standby in {standby.Directory}: {e.Message}"); }
            }
        }
        return result;
    }

    /// <summary>
    /// A status change followed by the writer's own timeline read, which must show it, three ways: through a
    /// ReadReplica that waits for the standby to replay the change's LSN (the default, up to 500 ms), through one that
    /// does not wait (one look at the standby's replay position, else straight to the primary: primary fallback), and
    /// on the primary alone (no replica). Rotated per pair, a writer keeping the standby busy.
    /// </summary>
    private static async Task ReadYourWritesAsync(BenchContext ctx, MentorStatusRepository primaryOnly, NpgsqlDataSource primarySource,
        NpgsqlDataSource standbySource, CaseResult result, CancellationToken ct)
    {
        var pairs = ctx.Size.Name == "ci" ? 20 : 200;
        var waiting = new ReadReplica(standbySource);
        var noWait = new ReadReplica(standbySource, new ReadReplicaOptions { ReplayWait = TimeSpan.Zero });
        var modes = new (string Name, MentorStatusRepository Repository, ReadReplica? Replica)[]
        {
            ("through the standby, waiting for replay", new MentorStatusRepository(primarySource, replica: waiting), waiting),
            ("primary fallback (no wait: standby only if already replayed)", new MentorStatusRepository(primarySource, replica: noWait), noWait),
            ("primary only", primaryOnly, null),
        };
        var pair = modes.Select(_ => new List<double>()).ToArray();
        var read = modes.Select(_ => new List<double>()).ToArray();
        var misses = 0;
        ctx.Say($"read-your-writes: {pairs} status changes each followed by the writer's timeline read, three ways…");
        await using (new BackgroundWriter(primaryOnly, ct))
        {
            for (var i = 0; i < pairs; i++)
            {
                var n = ProbeMentorsFrom + i % 100;
                var self = Caller.User(Ids.MentorUser(n));
                var mentor = Ids.Mentor(n);
                foreach (var m in Enumerable.Range(0, modes.Length).Select(k => (k + i) % modes.Length))
                {
                    var repository = modes[m].Repository;
                    var t0 = Stopwatch.GetTimestamp();
                    var change = await repository.ChangeStatusAsync(self, mentor, MentorState.Paused, ReasonCodes.SelfPause, ct);
                    var t1 = Stopwatch.GetTimestamp();
                    var page = await repository.GetTimelineAsync(self, mentor, 10, null, ct);
                    var t2 = Stopwatch.GetTimestamp();
                    if (page.Items.Count == 0 || page.Items[0].Id != change.Id) misses++;
                    pair[m].Add(Stopwatch.GetElapsedTime(t0, t2).TotalMilliseconds);
                    read[m].Add(Stopwatch.GetElapsedTime(t1, t2).TotalMilliseconds);
                    // resume (not timed), so the next pair can pause again
                    await primaryOnly.ChangeStatusAsync(self, mentor, MentorState.Active, ReasonCodes.SelfResume, ct);
                }
            }
        }
        for (var m = 0; m < modes.Length - 1; m++)
        {
            var c = modes[m].Replica!.Counts;
            var readP50 = Stats.Percentile(read[m], 50);
            var readP99 = Stats.Percentile(read[m], 99);
            var last = modes.Length - 1;
            result.Figures.Add(Figures.Compare(Id, $"read-your-writes: status change + own timeline read, {modes[m].Name}, p50", "ms",
                [Stats.Percentile(pair[m], 50)], "same pair, primary only", [Stats.Percentile(pair[last], 50)], "— (cost of read-your-writes)",
                (_, _, _) => null,
                (_, _, r) => $"{r:F2}× primary only; the read alone p50 {Figures.F(readP50)} ms vs {Figures.F(Stats.Percentile(read[last], 50))} ms, " +
                             $"p99 {Figures.F(readP99)} vs {Figures.F(Stats.Percentile(read[last], 99))} ms; of {pairs} reads {c.OnStandby} on the standby " +
                             $"({c.WaitedForReplay} checked its replay position), {c.OnPrimaryAfterLag} on the primary because it had not replayed, " +
                             $"{c.OnPrimaryStandbyDown} because it was down"));
            result.Latencies.Add(LatencySummary.Of($"read-your-writes read, {modes[m].Name}", read[m].ToArray()));
        }
        result.Latencies.Add(LatencySummary.Of("read-your-writes read, primary only", read[^1].ToArray()));
        var total = pairs * modes.Length;
        result.Figures.Add(new Figure(Id, "read-your-writes: reads that missed the writer's own change", misses, "reads", null, null, null,
            "0", misses == 0, misses == 0 ? $"met: all {total} reads showed the change just made" : $"missed: {misses} of {total} reads did not show it",
            [misses], []));
    }

    /// <summary>Keeps the standby replaying: status changes (pause, resume) on the primary, one at a time, 10 ms apart.</summary>
    private sealed class BackgroundWriter : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop;
        private readonly Task _loop;
        private long _changes;
        public long Changes => Interlocked.Read(ref _changes);

        public BackgroundWriter(MentorStatusRepository repository, CancellationToken ct)
        {
            _stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            _loop = Task.Run(async () =>
            {
                for (var n = 1; !_stop.IsCancellationRequested; n = n % WriterMentors + 1)
                {
                    var self = Caller.User(Ids.MentorUser(n));
                    await repository.ChangeStatusAsync(self, Ids.Mentor(n), MentorState.Paused, ReasonCodes.SelfPause, CancellationToken.None);
                    await repository.ChangeStatusAsync(self, Ids.Mentor(n), MentorState.Active, ReasonCodes.SelfResume, CancellationToken.None);
                    Interlocked.Add(ref _changes, 2);
                    try { await Task.Delay(WriterPause, _stop.Token); } catch (OperationCanceledException) { }
                }
            }, CancellationToken.None); // the loop watches _stop itself; a cancelled start would hide a failed change
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _loop; // a failed change surfaces here
            _stop.Dispose();
        }
    }

    /// <summary>Samples the primary's pg_stat_replication for the standby every 100 ms while started.</summary>
    private sealed class LagSampler(NpgsqlDataSource primary, string applicationName) : IAsyncDisposable
    {
        private CancellationTokenSource? _stop;
        private Task<(List<double> Ms, List<double> Bytes)>? _loop;

        public void Start()
        {
            _stop = new CancellationTokenSource();
            var token = _stop.Token;
            _loop = Task.Run(async () =>
            {
                var ms = new List<double>(); var bytes = new List<double>();
                await using var command = primary.CreateCommand(LagSql);
                command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = applicationName });
                while (!token.IsCancellationRequested)
                {
                    await using (var reader = await command.ExecuteReaderAsync(CancellationToken.None))
                    {
                        if (await reader.ReadAsync(CancellationToken.None) && !reader.IsDBNull(1))
                        {
                            ms.Add(reader.GetDouble(0));
                            bytes.Add(reader.GetDouble(1));
                        }
                    }
                    try { await Task.Delay(100, token); } catch (OperationCanceledException) { }
                }
                return (ms, bytes);
            });
        }

        public async Task<(List<double> Ms, List<double> Bytes)> StopAsync()
        {
            await _stop!.CancelAsync();
            var samples = await _loop!;
            _stop.Dispose();
            _stop = null;
            _loop = null;
            return samples;
        }

        public async ValueTask DisposeAsync()
        {
            if (_stop is not null) await StopAsync();
        }
    }
}
