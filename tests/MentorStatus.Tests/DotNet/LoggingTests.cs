using MentorStatus.Tests.Infrastructure;
using MentorStatus.Tests.Library;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace MentorStatus.Tests.DotNet;

/// <summary>The library's log lines, captured through a real ILoggerProvider, with their structured fields.</summary>
public sealed class LoggingTests
{
    private sealed class FailingSender : INotificationSender
    {
        public Task SendAsync(CoordinatorNotification notification, CancellationToken ct) => throw new IOException("smtp refused");
    }

    [Fact]
    public async Task JobAndDispatcher_LogStructuredFields_AndNeverAMentorsNameOrEmailAtInformation()
    {
        await using var db = await LibraryDatabase.CreateAsync("log_job");
        var org = await db.OrganisationAsync();
        var chapter = await db.ChapterAsync(org);
        await db.CoordinatorAsync([chapter]);
        for (var i = 0; i < 3; i++) await db.MentorAsync(org, [chapter], -1, withLogin: true, name: $"Zelda Secretname {i}");
        var emails = await db.DataSource.ColumnAsync("select u.email from auth.users u join public.peer_mentors m on m.user_id = u.id");
        var logs = new CapturingLoggerProvider();
        await using var provider = MentorStatusHost.Build(db.ConnectionString, logs,
            new Dictionary<string, string?> { ["MentorStatus:Job:BatchSize"] = "2" },
            services => services.AddSingleton<INotificationSender, FailingSender>());

        var run = await provider.GetRequiredService<CertificationExpiryJob>().RunAsync();
        await provider.GetRequiredService<NotificationDispatcher>().DispatchAsync();

        var started = Assert.Single(logs.ById(1000));
        Assert.Equal(run.RunId, started.Fields["RunId"]);
        Assert.Equal(3, started.Fields["Eligible"]);
        Assert.Equal("MentorStatus.CertificationExpiryJob", started.Category);
        var batches = logs.ById(1001).ToList();
        Assert.Equal([2, 1], batches.Select(b => (int)b.Fields["MentorCount"]!));
        Assert.Equal([1, 2], batches.Select(b => (int)b.Fields["Batch"]!));
        var finished = Assert.Single(logs.ById(1002));
        Assert.Equal(3, finished.Fields["MentorCount"]);

        var retrying = Assert.Single(logs.ById(2001));
        Assert.Equal(LogLevel.Warning, retrying.Level);
        // the channel's error, as the dispatcher recorded it (the sender threw IOException("smtp refused"))
        Assert.IsType<NotificationDeliveryException>(retrying.Exception);
        Assert.Contains("smtp refused", retrying.Exception!.Message);
        Assert.Equal(1, retrying.Fields["Attempt"]);
        Assert.IsType<Guid>(retrying.Fields["NotificationId"]);

        var visible = logs.Entries.Where(e => e.Level >= LogLevel.Information && e.Category.StartsWith("MentorStatus", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(visible);
        Assert.DoesNotContain(visible, e => e.Message.Contains("Secretname") || emails.Any(e.Message.Contains)
            || e.Fields.Values.Any(v => v?.ToString() is { } s && (s.Contains("Secretname") || emails.Contains(s))));
    }

    [Fact]
    public async Task RepositoryRetries_AreLoggedWithTheSqlState_ThenGiveUp()
    {
        await using var db = await LibraryDatabase.CreateAsync("log_retry");
        var org = await db.OrganisationAsync();
        var chapter = await db.ChapterAsync(org);
        var mentor = await db.MentorAsync(org, [chapter]);
        var logs = new CapturingLoggerProvider();
        await using var provider = MentorStatusHost.Build(db.ConnectionString, logs, new Dictionary<string, string?>
        {
            ["MentorStatus:Retry:MaxAttempts"] = "3",
            ["MentorStatus:Retry:BaseDelay"] = "00:00:00.001",
            ["MentorStatus:Retry:LockTimeout"] = "00:00:00.050",
        });

        // Another transaction holds the mentor's row: every attempt times out on the lock (SQLSTATE 55P03).
        await using var holder = await db.DataSource.OpenConnectionAsync();
        await using var tx = await holder.BeginTransactionAsync();
        await using (var lockRow = new NpgsqlCommand("select 1 from public.peer_mentors where id = $1 for update", holder, tx)
                     { Parameters = { new() { Value = mentor } } })
            await lockRow.ExecuteNonQueryAsync();

        await Assert.ThrowsAsync<ConcurrentStatusChangeException>(() => provider.GetRequiredService<MentorStatusRepository>()
            .ChangeStatusAsync(Caller.Service, mentor, MentorState.Paused, ReasonCodes.CertificationExpired));

        var retries = logs.ById(3000).ToList();
        Assert.Equal(2, retries.Count);
        Assert.All(retries, r => Assert.Equal(PostgresErrorCodes.LockNotAvailable, r.Fields["SqlState"]));
        Assert.Equal([1, 2], retries.Select(r => (int)r.Fields["Attempt"]!));
        var gaveUp = Assert.Single(logs.ById(3001));
        Assert.Equal(3, gaveUp.Fields["Attempts"]);
        Assert.Equal("MentorStatus.MentorStatusRepository", gaveUp.Category);
    }

    [Fact]
    public async Task ADispatchWithNothingDue_LogsAtDebug_NotEveryIntervalAtInformation()
    {
        await using var db = await LibraryDatabase.CreateAsync("log_nothing_due");
        var logs = new CapturingLoggerProvider();
        await using var provider = MentorStatusHost.Build(db.ConnectionString, logs,
            new Dictionary<string, string?> { ["MentorStatus:Notifications:Channels:0"] = "inbox" });

        Assert.Equal(new DispatchResult(0, 0, 0), await provider.GetRequiredService<NotificationDispatcher>().DispatchAsync());

        Assert.Empty(logs.ById(2004));
        Assert.Equal(LogLevel.Debug, Assert.Single(logs.ById(2005)).Level);
        Assert.DoesNotContain(logs.Entries, e => e.Category.StartsWith("MentorStatus", StringComparison.Ordinal) && e.Level >= LogLevel.Information);
    }
}
