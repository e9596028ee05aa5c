using MentorStatus.Tests.Infrastructure;

namespace MentorStatus.Tests.Library;

public sealed class NotificationDispatcherTests
{
    /// <summary>Records every send; fails the first <c>failures</c> calls.</summary>
    private sealed class RecordingSender(int failures = 0) : INotificationSender
    {
        private int _failuresLeft = failures;
        public List<CoordinatorNotification> Sent { get; } = [];
        public int Calls { get; private set; }

        public Task SendAsync(CoordinatorNotification notification, CancellationToken ct)
        {
            Calls++;
            if (_failuresLeft-- > 0) throw new IOException("mail server unavailable");
            Sent.Add(notification);
            return Task.CompletedTask;
        }
    }

    /// <summary>Two chapters, one coordinator each, one expired mentor each; the job has run: two pending notifications.</summary>
    private static async Task<(LibraryDatabase Db, Guid RunId)> AfterJobAsync(string purpose)
    {
        var db = await LibraryDatabase.CreateAsync(purpose);
        var org = await db.OrganisationAsync();
        var a = await db.ChapterAsync(org);
        var b = await db.ChapterAsync(org);
        await db.CoordinatorAsync([a]);
        await db.CoordinatorAsync([b]);
        await db.MentorAsync(org, [a], -1);
        await db.MentorAsync(org, [b], -1);
        var run = await new CertificationExpiryJob(db.DataSource).RunAsync();
        return (db, run.RunId);
    }

    private static NotificationDispatcher Dispatcher(LibraryDatabase db, INotificationSender sender, TimeProvider time, int maxAttempts = 8) =>
        new(db.DataSource, sender, time, new NotificationDispatcherOptions
        {
            BaseBackoff = TimeSpan.FromMinutes(1), ClaimDuration = TimeSpan.FromMinutes(5), MaxAttempts = maxAttempts,
        });

    [Fact]
    public async Task SendsEachNotificationOnce_AndNeverAgain()
    {
        var (db, runId) = await AfterJobAsync("dispatch_once");
        await using var _ = db;
        var sender = new RecordingSender();
        var time = new ManualTime(DateTimeOffset.UtcNow.AddSeconds(1));

        var first = await Dispatcher(db, sender, time).DispatchAsync();
        time.Advance(TimeSpan.FromDays(1));
        var second = await Dispatcher(db, sender, time).DispatchAsync();

        Assert.Equal(new DispatchResult(2, 0, 0), first);
        Assert.Equal(new DispatchResult(0, 0, 0), second);
        Assert.Equal(2, sender.Sent.Select(n => n.IdempotencyKey).Distinct().Count());
        Assert.Equal(2, sender.Calls);
        Assert.Equal(2, await db.CountAsync("select count(*) from public.coordinator_notifications where job_run_id = $1 and status = 'sent' and sent_at is not null and attempts = 1", runId));
    }

    [Fact]
    public async Task NotificationsOfARunningRun_WaitUntilItFinishes()
    {
        var (db, runId) = await AfterJobAsync("dispatch_running");
        await using var _ = db;
        await db.DataSource.ExecuteAsync("update public.status_job_runs set outcome = 'running', finished_at = null where id = $1", runId);
        var sender = new RecordingSender();
        var time = new ManualTime(DateTimeOffset.UtcNow.AddSeconds(1));

        Assert.Equal(0, (await Dispatcher(db, sender, time).DispatchAsync()).Sent);

        await db.DataSource.ExecuteAsync("update public.status_job_runs set outcome = 'succeeded', finished_at = now() where id = $1", runId);
        Assert.Equal(2, (await Dispatcher(db, sender, time).DispatchAsync()).Sent);
    }

    [Fact]
    public async Task FailingSender_RetriesWithExponentialBackoff_ThenSends()
    {
        var (db, _) = await AfterJobAsync("dispatch_retry");
        await using var __ = db;
        await db.DataSource.ExecuteAsync("delete from public.coordinator_notifications where ctid <> (select min(ctid) from public.coordinator_notifications)");
        var sender = new RecordingSender(failures: 2);
        var start = DateTimeOffset.UtcNow.AddSeconds(1);
        var time = new ManualTime(start);
        var dispatcher = Dispatcher(db, sender, time);

        Assert.Equal(new DispatchResult(0, 1, 0), await dispatcher.DispatchAsync());
        var next1 = await db.DataSource.ScalarAsync<DateTime>("select next_attempt_at from public.coordinator_notifications");
        var delay1 = new DateTimeOffset(next1, TimeSpan.Zero) - start;
        Assert.InRange(delay1.TotalSeconds, 47.9, 72.1); // 1 min ± 20 % jitter
        Assert.Equal(["pending/1/sender: mail server unavailable"], await db.DataSource.ColumnAsync("select status || '/' || attempts || '/' || last_error from public.coordinator_notifications"));

        Assert.Equal(new DispatchResult(0, 0, 0), await dispatcher.DispatchAsync()); // not due yet
        Assert.Equal(1, sender.Calls);

        time.Now = new DateTimeOffset(next1, TimeSpan.Zero).AddSeconds(1);
        Assert.Equal(new DispatchResult(0, 1, 0), await dispatcher.DispatchAsync());
        var next2 = await db.DataSource.ScalarAsync<DateTime>("select next_attempt_at from public.coordinator_notifications");
        var delay2 = new DateTimeOffset(next2, TimeSpan.Zero) - time.Now;
        Assert.InRange(delay2.TotalSeconds, 95.9, 144.1); // doubled

        time.Now = new DateTimeOffset(next2, TimeSpan.Zero).AddSeconds(1);
        Assert.Equal(new DispatchResult(1, 0, 0), await dispatcher.DispatchAsync());
        Assert.Equal(["sent/3"], await db.DataSource.ColumnAsync("select status || '/' || attempts from public.coordinator_notifications"));
    }

    [Fact]
    public async Task GivesUpAfterMaxAttempts()
    {
        var (db, _) = await AfterJobAsync("dispatch_giveup");
        await using var __ = db;
        var sender = new RecordingSender(failures: 100);
        var time = new ManualTime(DateTimeOffset.UtcNow.AddSeconds(1));
        var dispatcher = Dispatcher(db, sender, time, maxAttempts: 2);

        await dispatcher.DispatchAsync();
        time.Advance(TimeSpan.FromHours(2));
        var last = await dispatcher.DispatchAsync();
        time.Advance(TimeSpan.FromHours(2));
        var after = await dispatcher.DispatchAsync();

        Assert.Equal(new DispatchResult(0, 0, 2), last);
        Assert.Equal(new DispatchResult(0, 0, 0), after);
        Assert.Equal(4, sender.Calls);
        Assert.Equal(2, await db.CountAsync("select count(*) from public.coordinator_notifications where status = 'failed' and attempts = 2"));
    }

    [Fact]
    public async Task CrashAfterClaim_RowIsHeldUntilTheClaimExpires_ThenSentOnce()
    {
        var (db, _) = await AfterJobAsync("dispatch_crash");
        await using var __ = db;
        var time = new ManualTime(DateTimeOffset.UtcNow.AddSeconds(1));
        var crashed = Dispatcher(db, new RecordingSender(), time);

        var claimed = await crashed.ClaimAsync(CancellationToken.None); // ... and the process dies here
        Assert.Equal(2, claimed.Count);

        var sender = new RecordingSender();
        var survivor = Dispatcher(db, sender, time);
        Assert.Equal(0, (await survivor.DispatchAsync()).Sent); // a live claim is respected: no double send

        time.Advance(TimeSpan.FromMinutes(6));
        Assert.Equal(2, (await survivor.DispatchAsync()).Sent);
        Assert.Equal(claimed.Select(c => c.IdempotencyKey).Order(), sender.Sent.Select(s => s.IdempotencyKey).Order());
        Assert.Equal(2, await db.CountAsync("select count(*) from public.coordinator_notifications where status = 'sent' and attempts = 2"));

        time.Advance(TimeSpan.FromDays(1));
        Assert.Equal(0, (await survivor.DispatchAsync()).Sent);
        Assert.Equal(2, sender.Calls);
    }

    /// <summary>Blocks its first send until released, as a slow mail server would.</summary>
    private sealed class StallingSender : INotificationSender
    {
        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        // Every send waits for Release: the dispatcher delivers up to MaxConcurrency rows at once, so the stale
        // dispatcher holds all of its claimed rows in flight, not just the first.
        public async Task SendAsync(CoordinatorNotification notification, CancellationToken ct)
        {
            Entered.TrySetResult();
            await Release.Task;
        }
    }

    [Fact]
    public async Task AStaleDispatchersLateMark_IsIgnored_AndNotCountedAsSent()
    {
        var (db, runId) = await AfterJobAsync("dispatch_stale");
        await using var _ = db;
        var start = DateTimeOffset.UtcNow.AddSeconds(1);
        var stalling = new StallingSender();
        var slow = Dispatcher(db, stalling, new ManualTime(start)).DispatchAsync();
        await stalling.Entered.Task; // the slow dispatcher holds both claims and is inside its first send

        // Past the 5-minute claim, a second dispatcher takes both rows over and delivers them.
        var fast = new RecordingSender();
        var second = await Dispatcher(db, fast, new ManualTime(start.AddMinutes(10))).DispatchAsync();
        stalling.Release.SetResult();
        var first = await slow;

        Assert.Equal(new DispatchResult(2, 0, 0), second);
        Assert.Equal(0, first.Sent); // both of its marks found the rows claimed by someone else
        Assert.Equal(2, await db.CountAsync(
            "select count(*) from public.coordinator_notifications where job_run_id = $1 and status = 'sent' and attempts = 2", runId));
    }
}
