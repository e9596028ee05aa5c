using MentorStatus.Notifications;
using Npgsql;

namespace MentorStatus.Tests.Library;

/// <summary>The dispatcher's record of a batch's outcomes (<see cref="OutcomeRecorder"/>), on a real database.</summary>
public sealed class OutcomeRecorderTests
{
    /// <summary>Six chapters, a coordinator and an expired mentor each; the job ran and the six notifications are claimed (attempt 1).</summary>
    private static async Task<(LibraryDatabase Db, List<CoordinatorNotification> Claimed)> ClaimedAsync(string purpose)
    {
        var db = await LibraryDatabase.CreateAsync(purpose);
        var org = await db.OrganisationAsync();
        for (var i = 0; i < 6; i++)
        {
            var chapter = await db.ChapterAsync(org);
            await db.CoordinatorAsync([chapter]);
            await db.MentorAsync(org, [chapter], -1);
        }
        await new CertificationExpiryJob(db.DataSource).RunAsync();
        var dispatcher = new NotificationDispatcher(db.DataSource, [new InboxChannel(db.DataSource)], new ManualTime(DateTimeOffset.UtcNow.AddSeconds(1)));
        var claimed = await dispatcher.ClaimAsync(CancellationToken.None);
        Assert.Equal(6, claimed.Count);
        return (db, claimed);
    }

    private static DeliveryOutcome Outcome(CoordinatorNotification n, DeliveryStatus status, string channel, string outcome, string? error = null) =>
        new(n.Id, n.Attempts, status, DateTimeOffset.UtcNow.AddMinutes(1), error, [(channel, outcome, error)]);

    private static Task<HashSet<Guid>> RecordAsync(LibraryDatabase db, IReadOnlyList<DeliveryOutcome> outcomes, bool asynchronousCommit = true) =>
        OutcomeRecorder.RecordAsync(db.DataSource, TimeProvider.System, RetryOptions.Default, asynchronousCommit, outcomes);

    [Fact]
    public async Task ABatchOfMixedOutcomes_IsOneStatement_AndOnlyTheRowsStillClaimedAreRecorded()
    {
        var (db, claimed) = await ClaimedAsync("recorder_batch");
        await using var _ = db;
        // Another dispatcher took the last row over (its claim is attempt 2): our outcome for it must be refused.
        var stolen = claimed[5];
        await db.CountAsync("with t as (update public.coordinator_notifications set attempts = attempts + 1 where id = $1 returning 1) select count(*) from t", stolen.Id);

        List<DeliveryOutcome> outcomes =
        [
            Outcome(claimed[0], DeliveryStatus.Sent, "inbox", "delivered"),
            Outcome(claimed[1], DeliveryStatus.Sent, "inbox", "delivered"),
            Outcome(claimed[2], DeliveryStatus.Sent, "inbox", "delivered"),
            Outcome(claimed[3], DeliveryStatus.Pending, "webhook", "retrying", "webhook: 503 Service Unavailable"),
            Outcome(claimed[4], DeliveryStatus.Failed, "webhook", "failed", "webhook: 410 Gone"),
            Outcome(stolen, DeliveryStatus.Sent, "inbox", "delivered"),
        ];
        var recorded = await RecordAsync(db, outcomes);

        Assert.Equal(claimed.Take(5).Select(n => n.Id).Order(), recorded.Order());
        Assert.Equal(3, await db.CountAsync("select count(*) from public.coordinator_notifications where id = any ($1) and status = 'sent' and sent_at is not null", claimed.Take(3).Select(n => n.Id).ToArray()));
        Assert.Equal(1, await db.CountAsync("select count(*) from public.coordinator_notifications where id = $1 and status = 'pending' and last_error like 'webhook: 503%'", claimed[3].Id));
        Assert.Equal(1, await db.CountAsync("select count(*) from public.coordinator_notifications where id = $1 and status = 'failed' and sent_at is null", claimed[4].Id));
        Assert.Equal(1, await db.CountAsync("select count(*) from public.coordinator_notifications where id = $1 and status = 'sending' and attempts = 2", stolen.Id));
        // One channel row per recorded notification, none for the one whose claim was lost.
        Assert.Equal(5, await db.CountAsync("select count(*) from public.coordinator_notification_deliveries"));
        Assert.Equal(0, await db.CountAsync("select count(*) from public.coordinator_notification_deliveries where notification_id = $1", stolen.Id));
        Assert.Equal(3, await db.CountAsync("select count(*) from public.coordinator_notification_deliveries where outcome = 'delivered' and delivered_at is not null and channel = 'inbox'"));

        // The same record again (a retry after a connection lost once the first had committed) answers the same
        // ids and changes nothing: the statement is safe to repeat.
        var again = await RecordAsync(db, outcomes);
        Assert.Equal(recorded.Order(), again.Order());
        Assert.Equal(5, await db.CountAsync("select count(*) from public.coordinator_notification_deliveries where attempts = 1"));
        Assert.Equal(1, await db.CountAsync("select count(*) from public.coordinator_notifications where id = $1 and status = 'sending' and attempts = 2", stolen.Id));
    }

    [Fact]
    public async Task ABatchThatCannotBeWritten_Throws_AndWritesNothing()
    {
        var (db, claimed) = await ClaimedAsync("recorder_failure");
        await using var _ = db;
        // Retrying is only listed, never stored: 'retrying' breaks the outbox's check constraint, so the statement fails,
        // and so does the whole batch.
        var outcomes = claimed.Select(n => Outcome(n, n == claimed[0] ? DeliveryStatus.Retrying : DeliveryStatus.Sent, "inbox", "delivered")).ToList();

        await Assert.ThrowsAsync<PostgresException>(() => RecordAsync(db, outcomes, asynchronousCommit: false));

        // Every row stays claimed (delivered again after the claim expires); no channel row was written.
        Assert.Equal(6, await db.CountAsync("select count(*) from public.coordinator_notifications where status = 'sending'"));
        Assert.Equal(0, await db.CountAsync("select count(*) from public.coordinator_notification_deliveries"));
    }
}
