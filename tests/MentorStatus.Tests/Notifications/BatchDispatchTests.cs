using System.Diagnostics;
using MentorStatus.TestSupport;
using MentorStatus.Notifications;
using MentorStatus.Tests.Infrastructure;
using MentorStatus.Tests.Library;
using Npgsql;

namespace MentorStatus.Tests.Notifications;

/// <summary>
/// The dispatcher works a batch at a time: one statement claims it, one round trip reads it, one statement records
/// every outcome of it. Its edge cases against a real database, a real webhook receiver and the real command line.
/// </summary>
public sealed class BatchDispatchTests
{
    private static readonly HttpClient Http = new() { Timeout = Timeout.InfiniteTimeSpan };

    /// <summary>One chapter per coordinator, one expired mentor per chapter; the job has run: <paramref name="count"/> notifications.</summary>
    private static async Task<LibraryDatabase> NotificationsAsync(string purpose, int count)
    {
        var db = await LibraryDatabase.CreateAsync(purpose);
        var org = await db.OrganisationAsync();
        for (var i = 0; i < count; i++)
        {
            var chapter = await db.ChapterAsync(org, $"Chapter {i}");
            await db.CoordinatorAsync([chapter]);
            await db.MentorAsync(org, [chapter], -1);
        }
        await new CertificationExpiryJob(db.DataSource).RunAsync();
        Assert.Equal(count, await db.CountAsync("select count(*) from public.coordinator_notifications"));
        return db;
    }

    /// <summary>
    /// Six notifications in one batch: three delivered, one answered 503 and one 429 (retried later), one 410 (given up).
    /// Each row gets its own outcome, and the whole dispatch is four round trips: the claim, the read, the record of the
    /// six outcomes, and the claim that finds nothing more (the dispatcher before batching made one record per few deliveries,
    /// and three round trips per claim).
    /// </summary>
    [Fact]
    public async Task ABatchWhereSomeSucceedAndSomeFail_RecordsEachOutcome_InOneStatement()
    {
        await using var db = await NotificationsAsync("batch_mixed", 6);
        var ids = (await db.DataSource.ColumnAsync("select id::text from public.coordinator_notifications order by id")).ToList();
        var answers = new Dictionary<string, int> { [ids[0]] = 200, [ids[1]] = 200, [ids[2]] = 200, [ids[3]] = 503, [ids[4]] = 429, [ids[5]] = 410 };
        await using var receiver = new TestWebhookReceiver { Answer = (key, _) => answers[key] };

        var direct = new NpgsqlConnectionStringBuilder(db.ConnectionString);
        await using var counter = new WireRoundTripCounter(direct.Host!, direct.Port);
        var proxied = new NpgsqlConnectionStringBuilder(direct.ConnectionString) { Port = counter.Port, SslMode = SslMode.Disable };
        await using var dataSource = MentorStatusDataSource.Create(proxied.ConnectionString);
        await MentorStatusDataSource.VerifyAsync(dataSource); // start-up and type loading are not counted below
        var dispatcher = new NotificationDispatcher(dataSource, [new WebhookChannel(receiver.Options(), Http)], new ManualTime(DateTimeOffset.UtcNow.AddSeconds(1)),
            new NotificationDispatcherOptions { BaseBackoff = TimeSpan.FromMinutes(1), MaxAttempts = 3 });

        var before = counter.RoundTrips;
        var result = await dispatcher.DispatchAsync();
        var roundTrips = counter.RoundTrips - before;

        Assert.Equal(new DispatchResult(3, 2, 1), result);
        Assert.Equal(4, roundTrips);
        Assert.Equal(
        [
            $"{ids[0]} sent 1 webhook:delivered", $"{ids[1]} sent 1 webhook:delivered", $"{ids[2]} sent 1 webhook:delivered",
            $"{ids[3]} pending 1 webhook:retrying", $"{ids[4]} pending 1 webhook:retrying", $"{ids[5]} failed 1 webhook:failed",
        ], await db.DataSource.ColumnAsync("""
            select n.id || ' ' || n.status || ' ' || n.attempts || ' ' || d.channel || ':' || d.outcome
            from public.coordinator_notifications n join public.coordinator_notification_deliveries d on d.notification_id = n.id
            order by n.id
            """));
        Assert.Equal(3, await db.CountAsync("select count(*) from public.coordinator_notifications where status = 'sent' and sent_at is not null"));
        Assert.Equal(2, await db.CountAsync("select count(*) from public.coordinator_notifications where status = 'pending' and next_attempt_at > now() and (last_error like 'webhook: webhook 503%' or last_error like 'webhook: webhook 429%')"));
        Assert.Equal(1, await db.CountAsync("select count(*) from public.coordinator_notifications where status = 'failed' and last_error like 'webhook: webhook 410%'"));
        Assert.All(receiver.RequestsPerKey.Values, n => Assert.Equal(1, n));
    }

    /// <summary>
    /// The real command line, killed mid-batch: it claimed all four notifications in one batch, delivered two and had the third
    /// in flight; nothing of the batch was recorded (its record comes after the batch). Until the dead worker's claim expires
    /// no other dispatcher touches the rows; after it, every row is delivered again under its own key (the receiver drops
    /// the repeats) and recorded once.
    /// </summary>
    [Fact]
    public async Task AWorkerThatDiesMidBatch_ItsClaimedRowsArePickedUpAgainAfterTheClaim()
    {
        await using var s = await EmailChannelTests.ScenarioAsync("batch_worker_dies");
        await using var receiver = new TestWebhookReceiver();
        var killed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Process? cli = null;
        receiver.OnRequest = (_, _) =>
        {
            if (receiver.RequestsPerKey.Count == 3 && !killed.Task.IsCompleted)
            {
                cli!.Kill(entireProcessTree: true); // two delivered, the third in flight: the worker dies mid-batch
                killed.TrySetResult();
            }
            return Task.CompletedTask;
        };

        var info = CliRunner.StartInfo(TestDatabases.Project.Root,
        [
            "notifications", "dispatch", "--channel", "webhook", "--concurrency", "1", "--db-url", s.Db.Url,
            "--set", $"MentorStatus:Notifications:Webhook:Url={receiver.Url}",
            "--set", $"MentorStatus:Notifications:Webhook:Secret={receiver.Secret}",
            "--set", "MentorStatus:Notifications:Webhook:AllowInsecureHttp=true",
        ]);
        cli = Process.Start(info)!;
        var stderr = cli.StandardError.ReadToEndAsync();
        _ = cli.StandardOutput.ReadToEndAsync();
        var first = await Task.WhenAny(killed.Task, cli.WaitForExitAsync()).WaitAsync(TimeSpan.FromSeconds(90));
        Assert.True(first == killed.Task, $"the command line ended before it was killed: {await stderr}");
        await cli.WaitForExitAsync();
        cli.Dispose();
        var seenByTheDeadWorker = receiver.RequestsPerKey.Keys.ToHashSet();
        Assert.Equal(3, seenByTheDeadWorker.Count);

        // All four claimed by the dead worker in one batch, none recorded.
        Assert.Equal(4, await s.Db.CountAsync("select count(*) from public.coordinator_notifications where status = 'sending' and attempts = 1"));
        Assert.Equal(0, await s.Db.CountAsync("select count(*) from public.coordinator_notification_deliveries"));
        var expiry = new DateTimeOffset(await s.Db.DataSource.ScalarAsync<DateTime>("select min(next_attempt_at) from public.coordinator_notifications"), TimeSpan.Zero);

        // Before the claim expires, another dispatcher leaves the rows alone.
        var channel = new WebhookChannel(receiver.Options(), Http);
        var early = await EmailChannelTests.Dispatcher(s.Db, [channel], new ManualTime(expiry.AddSeconds(-1))).DispatchAsync();
        Assert.Equal(new DispatchResult(0, 0, 0), early);
        Assert.Equal(3, receiver.RequestsPerKey.Values.Sum());

        // After it, every row is delivered once more with its own key, and recorded once.
        var late = await EmailChannelTests.Dispatcher(s.Db, [channel], new ManualTime(expiry.AddSeconds(1))).DispatchAsync();
        Assert.Equal(new DispatchResult(4, 0, 0), late);
        Assert.Equal(4, receiver.RequestsPerKey.Count);
        Assert.All(receiver.RequestsPerKey, k => Assert.Equal(seenByTheDeadWorker.Contains(k.Key) ? 2 : 1, k.Value));
        Assert.Equal(4, await s.Db.CountAsync("select count(*) from public.coordinator_notifications where status = 'sent' and attempts = 2"));
        Assert.Equal(4, await s.Db.CountAsync("select count(*) from public.coordinator_notification_deliveries where outcome = 'delivered' and attempts = 1"));
    }

    /// <summary>
    /// Two dispatchers (two data sources, as two workers) run at once over 30 notifications in batches of 4 with a receiver
    /// that takes a while per request: each row is delivered exactly once, by one of them, within its first claim.
    /// </summary>
    [Fact]
    public async Task TwoDispatchersAtOnce_NeverDeliverTheSameRowTwice()
    {
        const int Count = 30;
        await using var db = await NotificationsAsync("batch_two_dispatchers", Count);
        await using var receiver = new TestWebhookReceiver { OnRequest = (_, _) => Task.Delay(15) };
        await using var second = MentorStatusDataSource.Create(db.ConnectionString);
        var options = new NotificationDispatcherOptions { BatchSize = 4, MaxConcurrency = 2, BaseBackoff = TimeSpan.FromMinutes(1) };
        var a = new NotificationDispatcher(db.DataSource, [new WebhookChannel(receiver.Options(), Http)], TimeProvider.System, options);
        var b = new NotificationDispatcher(second, [new WebhookChannel(receiver.Options(), Http)], TimeProvider.System, options);

        var results = await Task.WhenAll(Task.Run(() => a.DispatchAsync()), Task.Run(() => b.DispatchAsync()));

        Assert.Equal(Count, results.Sum(r => r.Sent));
        Assert.All(results, r => Assert.True(r.Sent > 0, $"both dispatchers should have delivered some: {results[0]} / {results[1]}"));
        Assert.Equal(Count, receiver.RequestsPerKey.Count);
        Assert.All(receiver.RequestsPerKey.Values, n => Assert.Equal(1, n));
        Assert.Equal(Count, await db.CountAsync("select count(*) from public.coordinator_notifications where status = 'sent' and attempts = 1"));
    }
    /// <summary>
    /// A batch slower than its claim (ten notifications, one at a time, half a second each, on a 4-second claim): a second
    /// dispatcher that starts once the claim has expired used to deliver every row the first had not recorded yet, a second
    /// time. Now no delivery starts after half the claim; the rest goes back unattempted (its attempt given back) and is
    /// claimed afresh, so each row is delivered exactly once, on its first counted attempt.
    /// </summary>
    [Fact]
    public async Task ABatchSlowerThanItsClaim_PutsTheRestBack_AndNoRowIsDeliveredTwice()
    {
        const int Count = 10;
        await using var db = await NotificationsAsync("batch_slower_than_claim", Count);
        await using var receiver = new TestWebhookReceiver { OnRequest = (_, _) => Task.Delay(500) };
        await using var second = MentorStatusDataSource.Create(db.ConnectionString);
        var options = new NotificationDispatcherOptions { BatchSize = Count, MaxConcurrency = 1, ClaimDuration = TimeSpan.FromSeconds(4) };
        var a = new NotificationDispatcher(db.DataSource, [new WebhookChannel(receiver.Options(), Http)], TimeProvider.System, options);
        var b = new NotificationDispatcher(second, [new WebhookChannel(receiver.Options(), Http)], TimeProvider.System, options);
        var progress = new List<string>();

        var first = Task.Run(() => a.DispatchAsync(new SyncProgress<string>(line => { lock (progress) progress.Add(line); })));
        await Task.Delay(TimeSpan.FromSeconds(4.5));
        var late = await b.DispatchAsync();
        var early = await first;

        Assert.Equal(Count, early.Sent + late.Sent);
        Assert.Equal(Count, receiver.RequestsPerKey.Count);
        Assert.All(receiver.RequestsPerKey.Values, n => Assert.Equal(1, n));
        Assert.Contains(progress, p => p.Contains("put back unattempted"));
        Assert.Equal(Count, await db.CountAsync("select count(*) from public.coordinator_notifications where status = 'sent' and attempts = 1"));
    }
}
