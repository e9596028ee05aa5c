using MentorStatus.Notifications;
using Npgsql;

namespace MentorStatus.Tests.Library;

/// <summary>The dispatcher's group commit of delivery outcomes (<see cref="OutcomeRecorder"/>), on a real database.</summary>
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

    private static DeliveryOutcome Outcome(CoordinatorNotification n, string status, string channel, string outcome, string? error = null) =>
        new(n.Id, n.Attempts, status, DateTimeOffset.UtcNow.AddMinutes(1), error, [(channel, outcome, error)]);

    [Fact]
    public async Task OutcomesThatArriveTogether_ShareAStatement_AndEachGetsItsOwnAnswer()
    {
        var (db, claimed) = await ClaimedAsync("recorder_group");
        await using var _ = db;
        // Another dispatcher took the last row over (its claim is attempt 2): our outcome for it must be refused.
        var stolen = claimed[5];
        await db.CountAsync("with t as (update public.coordinator_notifications set attempts = attempts + 1 where id = $1 returning 1) select count(*) from t", stolen.Id);

        var recorder = new OutcomeRecorder(db.DataSource, TimeProvider.System, maxGroup: 8);
        Task<bool>[] answers =
        [
            recorder.RecordAsync(Outcome(claimed[0], "sent", "inbox", "delivered")),
            recorder.RecordAsync(Outcome(claimed[1], "sent", "inbox", "delivered")),
            recorder.RecordAsync(Outcome(claimed[2], "sent", "inbox", "delivered")),
            recorder.RecordAsync(Outcome(claimed[3], "pending", "webhook", "retrying", "webhook: 503 Service Unavailable")),
            recorder.RecordAsync(Outcome(claimed[4], "failed", "webhook", "failed", "webhook: 410 Gone")),
            recorder.RecordAsync(Outcome(stolen, "sent", "inbox", "delivered")),
        ];
        var recorded = await Task.WhenAll(answers);
        await recorder.DisposeAsync();

        Assert.Equal([true, true, true, true, true, false], recorded);
        // Six outcomes queued within microseconds while a write takes milliseconds: they share statements.
        Assert.InRange(recorder.GroupsWritten, 1, 5);
        Assert.Equal(3, await db.CountAsync("select count(*) from public.coordinator_notifications where id = any ($1) and status = 'sent' and sent_at is not null", claimed.Take(3).Select(n => n.Id).ToArray()));
        Assert.Equal(1, await db.CountAsync("select count(*) from public.coordinator_notifications where id = $1 and status = 'pending' and last_error like 'webhook: 503%'", claimed[3].Id));
        Assert.Equal(1, await db.CountAsync("select count(*) from public.coordinator_notifications where id = $1 and status = 'failed' and sent_at is null", claimed[4].Id));
        Assert.Equal(1, await db.CountAsync("select count(*) from public.coordinator_notifications where id = $1 and status = 'sending' and attempts = 2", stolen.Id));
        // One channel row per recorded notification, none for the one whose claim was lost.
        Assert.Equal(5, await db.CountAsync("select count(*) from public.coordinator_notification_deliveries"));
        Assert.Equal(0, await db.CountAsync("select count(*) from public.coordinator_notification_deliveries where notification_id = $1", stolen.Id));
        Assert.Equal(3, await db.CountAsync("select count(*) from public.coordinator_notification_deliveries where outcome = 'delivered' and delivered_at is not null and channel = 'inbox'"));
    }

    [Fact]
    public async Task AGroupThatCannotBeWritten_FailsEveryOutcomeInIt_AndWritesNothing()
    {
        var (db, claimed) = await ClaimedAsync("recorder_failure");
        await using var _ = db;
        var recorder = new OutcomeRecorder(db.DataSource, TimeProvider.System, maxGroup: 8);
        // 'lost' is no status of the outbox (check constraint): the statement fails, and so does its whole group.
        var answers = claimed.Select(n => recorder.RecordAsync(Outcome(n, n == claimed[0] ? "lost" : "sent", "inbox", "delivered"))).ToList();
        await recorder.DisposeAsync();

        foreach (var answer in answers.Where(a => a.IsFaulted))
            Assert.IsType<PostgresException>(answer.Exception!.InnerException);
        Assert.True(answers[0].IsFaulted);
        // The rows of the failed group stay claimed (they are redelivered after the claim expires); the rows of any
        // other group were written whole.
        var failed = claimed.Where((_, i) => answers[i].IsFaulted).Select(n => n.Id).ToArray();
        Assert.Equal(failed.Length, await db.CountAsync("select count(*) from public.coordinator_notifications where id = any ($1) and status = 'sending'", failed));
        Assert.Equal(0, await db.CountAsync("select count(*) from public.coordinator_notification_deliveries where notification_id = any ($1)", failed));
        Assert.Equal(6 - failed.Length, await db.CountAsync("select count(*) from public.coordinator_notifications where status = 'sent'"));
    }
}
