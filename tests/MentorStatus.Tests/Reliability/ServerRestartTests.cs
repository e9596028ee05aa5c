using System.Collections.Concurrent;
using MentorStatus.Tooling.Local;
using MentorStatus.Tests.Infrastructure;
using MentorStatus.Tests.Library;
using Npgsql;
using Xunit.Abstractions;

namespace MentorStatus.Tests.Reliability;

/// <summary>
/// The PostgreSQL server restarted (pg_ctl stop -m fast, then start) while the certification job is between
/// batches and while the dispatcher is sending. Runs on a cluster of its own, never the shared test cluster.
/// Afterwards: every expired mentor paused exactly once with its history row (none half-paused), every
/// coordinator told about each of their mentors in exactly one notification, every notification recorded
/// sent exactly once and delivered to the channel under its idempotency key.
/// </summary>
[Trait("Category", "Reliability")]
public sealed class ServerRestartTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int ExpiredMentors = 24;
    private OwnCluster _own = null!;

    public async Task InitializeAsync() => _own = await OwnCluster.StartAsync("restart", output);

    public async Task DisposeAsync() => await _own.DisposeAsync();

    [Fact]
    public async Task RestartBetweenJobBatchesAndDuringDispatchLosesAndDuplicatesNothing()
    {
        var target = await _own.MigratedDatabaseAsync();
        await using var data = MentorStatusDataSource.Create(target.ConnectionString);
        var expected = await FixturesAsync(data);

        // 1. The job, restarted after its second batch. Whatever the library does with its dead pooled
        //    connections, a scheduler runs the job again until a run succeeds.
        var restarts = 0;
        var jobAttempts = await RunJobUntilItSucceedsAsync(data, "the restart", async (progress, _) =>
        {
            if (restarts == 0 && progress.Batch == 2)
            {
                restarts++;
                await _own.RestartAsync($"after job batch {progress.Batch} ({progress.PausedSoFar} paused)");
            }
        });
        Assert.Equal(1, restarts);

        var told = await AssertEveryExpiredMentorPausedOnceAndEachCoordinatorToldOnceAsync(data, expected);
        var notifications = await data.ColumnAsync("select id::text from public.coordinator_notifications order by id");
        output.WriteLine($"{jobAttempts} job attempt(s), {ExpiredMentors} mentors paused, {notifications.Count} notifications, {told.Count} (coordinator, mentor) pairs");

        // 2. The dispatcher, restarted while the channel is sending its second notification.
        var time = new ManualTime(DateTimeOffset.UtcNow);
        var sender = new RestartingSender(() => _own.RestartAsync("while the dispatcher was sending"), restartOnCall: 2);
        var dispatcher = new NotificationDispatcher(data, sender, time, new NotificationDispatcherOptions { BatchSize = 3, MaxConcurrency = 1 }); // one at a time; a batch's record lost with its connection is written again on a fresh one: at most one redelivery
        var dispatchAttempts = 0;
        while (await data.ScalarAsync<long>("select count(*) from public.coordinator_notifications where status <> 'sent'") > 0)
        {
            dispatchAttempts++;
            Assert.True(dispatchAttempts <= 8, "the dispatcher never finished after the restart");
            try
            {
                var result = await dispatcher.DispatchAsync();
                output.WriteLine($"dispatch attempt {dispatchAttempts}: sent {result.Sent}, retrying {result.Retrying}, failed {result.Failed}");
            }
            catch (NpgsqlException e)
            {
                output.WriteLine($"dispatch attempt {dispatchAttempts} failed: {e.Message}");
            }
            time.Advance(TimeSpan.FromMinutes(10)); // past the claim of a row whose send was not recorded, and past any backoff
        }

        Assert.Equal(notifications, await data.ColumnAsync("select id::text from public.coordinator_notifications where status = 'sent' order by id"));
        Assert.Equal(notifications, sender.DeliveredKeys.Order().Select(k => k.ToString()).ToList()); // none lost at the channel
        var redeliveries = sender.Calls - sender.DeliveredKeys.Count;
        output.WriteLine($"{sender.Calls} channel calls for {notifications.Count} notifications: {redeliveries} redelivery(ies) under the same idempotency key");
        // At most the one in flight during the restart may be handed over again, and only with its own key.
        Assert.InRange(redeliveries, 0, 1);
    }

    /// <summary>
    /// The job's batches commit asynchronously (synchronous_commit = off, issue 13): a crash right after a
    /// batch's commit may lose it. The server is crashed (pg_ctl stop -m immediate: no shutdown checkpoint, no
    /// WAL flush) right after the second batch, with the WAL writer made lazy so that the batches are likely
    /// still in the WAL buffers. Whatever survived, it survived whole, and the next run finishes the work:
    /// every expired mentor paused exactly once with one certification_expired record, every coordinator told
    /// about each of their mentors in exactly one notification.
    /// </summary>
    [Fact]
    public async Task CrashRightAfterAsynchronousBatchCommits_KeepsWholeBatchesOnly_NextRunPausesAndNotifiesEachOnce()
    {
        var target = await _own.MigratedDatabaseAsync();
        await using (var owner = target.CreateDataSource())
        {
            await owner.ExecuteAsync("alter system set wal_writer_delay = '10s'");
            await owner.ExecuteAsync("select pg_reload_conf()");
        }
        await using var data = MentorStatusDataSource.Create(target.ConnectionString);
        var expected = await FixturesAsync(data);

        var crashed = false;
        var reportedBeforeCrash = 0;
        Guid? crashedRun = null;
        await RunJobUntilItSucceedsAsync(data, "the crash", async (progress, ct) =>
        {
            if (crashed || progress.Batch != 2) return;
            crashed = true;
            reportedBeforeCrash = progress.PausedSoFar;
            crashedRun = progress.RunId;
            var cluster = _own.Cluster;
            var stop = await OsProcess.RunAsync(cluster.Installation.Tool("pg_ctl"),
                ["stop", "-D", cluster.DataDirectory, "-m", "immediate", "-w", "-t", "60"], true, ct);
            Assert.True(stop.ExitCode == 0, stop.Output);
            await cluster.StartAsync(null, ct);
            output.WriteLine($"server crashed and restarted after batch 2 ({progress.PausedSoFar} reported paused)");
        });
        Assert.True(crashed);

        // What the crashed run kept is whole batches (a multiple of the batch size here, every batch being full),
        // at most what it reported, and its own counters agree with its history rows.
        var kept = await data.ScalarAsync<long>("select count(*) from public.peer_mentor_status_history where job_run_id = $1", crashedRun!.Value);
        output.WriteLine($"the crashed run reported {reportedBeforeCrash} paused; {kept} survived the crash (the rest was an unflushed asynchronous commit)");
        Assert.InRange(kept, 0, reportedBeforeCrash);
        Assert.Equal(0, kept % 5);
        Assert.Equal(kept, (long)await data.ScalarAsync<int>("select mentors_paused from public.status_job_runs where id = $1", crashedRun.Value));

        await AssertEveryExpiredMentorPausedOnceAndEachCoordinatorToldOnceAsync(data, expected);
    }

    /// <summary>
    /// Runs the job (batches of 5) until a run succeeds, as a scheduler would after the server went away; at most
    /// 6 attempts. <paramref name="afterBatch"/> is where a test stops the server. Returns the number of attempts.
    /// </summary>
    private async Task<int> RunJobUntilItSucceedsAsync(NpgsqlDataSource data, string after, Func<JobProgress, CancellationToken, Task> afterBatch)
    {
        var attempts = 0;
        var failures = new List<string>();
        while (true)
        {
            attempts++;
            Assert.True(attempts <= 6, $"the job never succeeded after {after}:\n" + string.Join("\n", failures));
            var job = new CertificationExpiryJob(data, options: new CertificationExpiryJobOptions
            {
                BatchSize = 5,
                // The scheduler's rerun treats a run with no heartbeat for a moment as abandoned (in production: an hour).
                AbandonAfter = TimeSpan.FromMilliseconds(1),
                AfterBatch = afterBatch,
            });
            try
            {
                var result = await job.RunAsync();
                output.WriteLine($"job attempt {attempts}: succeeded, paused {result.MentorsPaused}");
                return attempts;
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
            {
                failures.Add($"attempt {attempts}: {e.GetType().Name}: {e.Message}");
                output.WriteLine($"job attempt {attempts} failed: {e.GetType().Name}: {e.Message}");
            }
        }
    }

    /// <summary>
    /// The end state both tests demand: no run left running, every expired mentor (and only they) paused exactly once
    /// with one certification_expired record (none half-paused), history chains consistent, and every coordinator told
    /// about each of their mentors in exactly one notification. Returns the (coordinator, mentor) pairs told.
    /// </summary>
    private static async Task<IReadOnlyList<string>> AssertEveryExpiredMentorPausedOnceAndEachCoordinatorToldOnceAsync(
        NpgsqlDataSource data, Dictionary<Guid, HashSet<Guid>> expected)
    {
        Assert.Equal(0L, await data.ScalarAsync<long>("select count(*) from public.status_job_runs where outcome = 'running'"));
        Assert.Equal((long)ExpiredMentors, await data.ScalarAsync<long>("select coalesce(sum(mentors_paused), 0) from public.status_job_runs"));
        // None half-paused: paused exactly when there is one certification_expired record, for exactly the expired.
        Assert.Equal(expected.Keys.Order().Select(g => g.ToString()), await data.ColumnAsync(
            "select id::text from public.peer_mentors where status = 'paused' order by id"));
        Assert.Equal(0L, await data.ScalarAsync<long>("""
            select count(*) from public.peer_mentors m
            where (m.status = 'paused') <> ((select count(*) from public.peer_mentor_status_history h
                                             where h.mentor_id = m.id and h.reason = 'certification_expired') = 1)
            """));
        await Faults.AssertHistoryChainsConsistentAsync(data);

        // Every coordinator is told about each of their mentors in exactly one notification.
        var told = await data.ColumnAsync("""
            select n.coordinator_user_id::text || ' ' || m::text
            from public.coordinator_notifications n, unnest(n.mentor_ids) m
            order by 1
            """);
        var shouldBeTold = expected.SelectMany(kv => kv.Value.Select(c => $"{c} {kv.Key}")).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(shouldBeTold, told.Order(StringComparer.Ordinal).ToList());
        return told;
    }

    /// <summary>A channel that honours idempotency keys (drops a redelivered key), and restarts the server once mid-send.</summary>
    private sealed class RestartingSender(Func<Task> restart, int restartOnCall) : INotificationSender
    {
        private readonly ConcurrentDictionary<Guid, int> _delivered = new();
        private int _calls;
        public int Calls => _calls;
        public ICollection<Guid> DeliveredKeys => _delivered.Keys;

        public async Task SendAsync(CoordinatorNotification notification, CancellationToken ct)
        {
            if (Interlocked.Increment(ref _calls) == restartOnCall) await restart();
            _delivered.AddOrUpdate(notification.IdempotencyKey, 1, (_, n) => n + 1);
        }
    }

    /// <summary>
    /// One organisation, four chapters with a coordinator each (one chapter with two), expired mentors spread over
    /// them (every third in two chapters), and mentors that are not expired. Returns each expired mentor's coordinators.
    /// </summary>
    private static async Task<Dictionary<Guid, HashSet<Guid>>> FixturesAsync(NpgsqlDataSource data)
    {
        var org = Guid.NewGuid();
        await data.ExecuteAsync("insert into public.organisations (id, name) values ($1, 'Restart Org')", org);
        var chapters = Enumerable.Range(0, 4).Select(_ => Guid.NewGuid()).ToArray();
        var coordinators = new Dictionary<Guid, List<Guid>>();
        foreach (var (chapter, i) in chapters.Select((c, i) => (c, i)))
        {
            await data.ExecuteAsync("insert into public.chapters (id, organisation_id, name) values ($1, $2, $3)", chapter, org, $"chapter {i}");
            coordinators[chapter] = [];
            for (var k = 0; k < (i == 0 ? 2 : 1); k++)
            {
                var user = Guid.NewGuid();
                await data.ExecuteAsync("insert into auth.users (id, email) values ($1, $2)", user, $"{user:N}@example.org");
                await data.ExecuteAsync("insert into public.coordinator_assignments (user_id, chapter_id) values ($1, $2)", user, chapter);
                coordinators[chapter].Add(user);
            }
        }
        var expected = new Dictionary<Guid, HashSet<Guid>>();
        for (var i = 0; i < ExpiredMentors + 6; i++)
        {
            var mentor = Guid.NewGuid();
            var expired = i < ExpiredMentors;
            await data.ExecuteAsync("""
                insert into public.peer_mentors (id, organisation_id, display_name, certification_expires_at)
                values ($1, $2, $3, now() + make_interval(days => $4))
                """, mentor, org, $"mentor {i}", expired ? -1 - i : 30);
            var memberOf = i % 3 == 0 ? new[] { chapters[i % 4], chapters[(i + 1) % 4] } : [chapters[i % 4]];
            foreach (var chapter in memberOf)
                await data.ExecuteAsync("insert into public.chapter_memberships (mentor_id, chapter_id) values ($1, $2)", mentor, chapter);
            // the insert itself wrote the mentor's initial_status record (issue 10)
            if (expired) expected[mentor] = memberOf.SelectMany(c => coordinators[c]).ToHashSet();
        }
        return expected;
    }
}
