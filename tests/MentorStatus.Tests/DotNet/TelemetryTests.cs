using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using MentorStatus.Diagnostics;
using MentorStatus.Tests.Library;

namespace MentorStatus.Tests.DotNet;

/// <summary>The meter is process-wide: these tests run alone, so no other test adds to the counters they read.</summary>
[CollectionDefinition(nameof(TelemetryCollection), DisableParallelization = true)]
public sealed class TelemetryCollection;

/// <summary>Spans and metrics of the "MentorStatus" source and meter, collected with ActivityListener / MeterListener.</summary>
[Collection(nameof(TelemetryCollection))]
public sealed class TelemetryTests : IDisposable
{
    private readonly ConcurrentQueue<Activity> _spans = new();
    private readonly ConcurrentQueue<(string Name, double Value, Dictionary<string, object?> Tags)> _measurements = new();
    private readonly ActivityListener _activityListener;
    private readonly MeterListener _meterListener = new();

    public TelemetryTests()
    {
        _activityListener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == MentorStatusTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _spans.Enqueue,
        };
        ActivitySource.AddActivityListener(_activityListener);
        _meterListener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == MentorStatusTelemetry.Name) listener.EnableMeasurementEvents(instrument);
        };
        _meterListener.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags));
        _meterListener.SetMeasurementEventCallback<double>((i, v, tags, _) => Record(i, v, tags));
        _meterListener.Start();
    }

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var dictionary = new Dictionary<string, object?>();
        foreach (var tag in tags) dictionary[tag.Key] = tag.Value;
        _measurements.Enqueue((instrument.Name, value, dictionary));
    }

    private double Sum(string name, Func<Dictionary<string, object?>, bool>? where = null) =>
        _measurements.Where(m => m.Name == name && (where?.Invoke(m.Tags) ?? true)).Sum(m => m.Value);

    private sealed class FlakySender(int failFirst) : INotificationSender
    {
        private int _calls;
        public Task SendAsync(CoordinatorNotification notification, CancellationToken ct) =>
            Interlocked.Increment(ref _calls) <= failFirst ? throw new IOException("channel down") : Task.CompletedTask;
    }

    [Fact]
    public async Task StatusChange_JobRunBatches_AndDispatch_EmitSpansAndMetrics()
    {
        await using var db = await LibraryDatabase.CreateAsync("otel");
        var org = await db.OrganisationAsync();
        var a = await db.ChapterAsync(org, "A");
        var b = await db.ChapterAsync(org, "B");
        await db.CoordinatorAsync([a]);
        await db.CoordinatorAsync([b]);
        for (var i = 0; i < 3; i++) await db.MentorAsync(org, [a], -1);
        for (var i = 0; i < 2; i++) await db.MentorAsync(org, [b], -1);
        var selfPauser = await db.MentorAsync(org, [a], withLogin: true);

        // a status change by a user
        var selfPauserUser = Caller.User(await db.UserOfMentorAsync(selfPauser));
        var change = await new MentorStatusRepository(db.DataSource)
            .ChangeStatusAsync(selfPauserUser, selfPauser, MentorState.Paused, ReasonCodes.SelfPause);
        var changeSpan = Assert.Single(_spans, s => s.OperationName == MentorStatusTelemetry.Spans.StatusChange && Equals(s.GetTagItem("mentorstatus.mentor_id"), selfPauser));
        Assert.Equal("paused", changeSpan.GetTagItem("mentorstatus.new_status"));
        Assert.Equal("user", changeSpan.GetTagItem("mentorstatus.caller"));
        Assert.Equal(ActivityStatusCode.Unset, changeSpan.Status);
        Assert.Equal(1, Sum(MentorStatusTelemetry.Instruments.StatusChanges, t => Equals(t["mentorstatus.new_status"], "paused") && Equals(t["mentorstatus.caller"], "user")));

        // a refused change is a failed span and no count
        await Assert.ThrowsAsync<IllegalStatusTransitionException>(() => new MentorStatusRepository(db.DataSource)
            .ChangeStatusAsync(selfPauserUser, selfPauser, MentorState.Paused, ReasonCodes.SelfPause));
        Assert.Contains(_spans, s => s.OperationName == MentorStatusTelemetry.Spans.StatusChange && s.Status == ActivityStatusCode.Error);
        Assert.Equal(1, Sum(MentorStatusTelemetry.Instruments.StatusChanges));

        // the job: 5 mentors, batches of 2 -> 3 batches, each a child span of the run
        var run = await new CertificationExpiryJob(db.DataSource, options: new CertificationExpiryJobOptions { BatchSize = 2 }).RunAsync();
        var runSpan = Assert.Single(_spans, s => s.OperationName == MentorStatusTelemetry.Spans.JobRun);
        Assert.Equal(run.RunId, runSpan.GetTagItem("mentorstatus.job.run_id"));
        Assert.Equal(5, runSpan.GetTagItem("mentorstatus.job.mentors_paused"));
        var batchSpans = _spans.Where(s => s.OperationName == MentorStatusTelemetry.Spans.JobBatch && s.ParentSpanId == runSpan.SpanId).ToList();
        Assert.Equal([2, 2, 1, 0], batchSpans.Select(s => (int)s.GetTagItem("mentorstatus.job.mentors_paused")!));
        Assert.Equal(5, Sum(MentorStatusTelemetry.Instruments.MentorsPaused));
        var durations = _measurements.Where(m => m.Name == MentorStatusTelemetry.Instruments.BatchDuration).ToList();
        Assert.Equal(3, durations.Count);
        Assert.All(durations, d => Assert.InRange(d.Value, 0.0, 60.0));

        // dispatch: two coordinators, the first send fails once -> 1 sent + 1 retrying
        var result = await new NotificationDispatcher(db.DataSource, new FlakySender(1)).DispatchAsync();
        Assert.Equal((1, 1, 0), (result.Sent, result.Retrying, result.Failed));
        var dispatchSpan = Assert.Single(_spans, s => s.OperationName == MentorStatusTelemetry.Spans.Dispatch);
        Assert.Equal(1, dispatchSpan.GetTagItem("mentorstatus.notifications.sent"));
        Assert.Equal(1, Sum(MentorStatusTelemetry.Instruments.NotificationsSent));
        Assert.Equal(1, Sum(MentorStatusTelemetry.Instruments.NotificationsFailed, t => Equals(t["mentorstatus.outcome"], "retrying")));
        Assert.Equal(0, Sum(MentorStatusTelemetry.Instruments.NotificationsFailed, t => Equals(t["mentorstatus.outcome"], "given_up")));
        _ = change;
    }

    [Fact]
    public async Task TransientConflicts_AreCountedAsRetries_BySqlState()
    {
        await using var db = await LibraryDatabase.CreateAsync("otel_retry");
        var org = await db.OrganisationAsync();
        var mentor = await db.MentorAsync(org, [await db.ChapterAsync(org)]);
        await using var holder = await db.DataSource.OpenConnectionAsync();
        await using var tx = await holder.BeginTransactionAsync();
        await using (var lockRow = new Npgsql.NpgsqlCommand("select 1 from public.peer_mentors where id = $1 for update", holder, tx)
                     { Parameters = { new() { Value = mentor } } })
            await lockRow.ExecuteNonQueryAsync();
        var retry = new RetryOptions { MaxAttempts = 4, BaseDelay = TimeSpan.FromMilliseconds(1), LockTimeout = TimeSpan.FromMilliseconds(50) };

        await Assert.ThrowsAsync<ConcurrentStatusChangeException>(() => new MentorStatusRepository(db.DataSource, retry)
            .ChangeStatusAsync(Caller.Service, mentor, MentorState.Paused, ReasonCodes.CertificationExpired));

        Assert.Equal(3, Sum(MentorStatusTelemetry.Instruments.Retries, t => Equals(t["db.response.status_code"], "55P03")));
    }

    public void Dispose()
    {
        _activityListener.Dispose();
        _meterListener.Dispose();
    }
}
