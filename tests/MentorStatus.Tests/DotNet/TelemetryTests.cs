using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using MentorStatus.Diagnostics;
using MentorStatus.Tests.Infrastructure;
using MentorStatus.Tests.Library;
using Npgsql;

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

    /// <summary>
    /// Every repository read has a span of its own, like the writes: its name, the caller's kind (never the user's
    /// id), the mentor or job-run id it read and the rows it returned; a read the database refuses ends its span with
    /// status Error, the exception's message and type. Spans are told apart from other tests' by a root activity.
    /// </summary>
    [Fact]
    public async Task Reads_EmitASpanEach_WithIdsAndRows_NoUserId_AndErrorStatusOnFailure()
    {
        await using var db = await LibraryDatabase.CreateAsync("otel_reads");
        var org = await db.OrganisationAsync();
        var chapter = await db.ChapterAsync(org);
        var coordinator = await db.CoordinatorAsync([chapter]);
        var expired = await db.MentorAsync(org, [chapter], -1);
        var other = await db.MentorAsync(org, [chapter]);
        var run = await new CertificationExpiryJob(db.DataSource).RunAsync();
        var repository = new MentorStatusRepository(db.DataSource);
        var user = Caller.User(coordinator);

        using var root = new Activity("reads under test").Start();
        var page = await repository.GetTimelineAsync(user, expired);
        var statuses = await repository.GetCurrentStatusesAsync(Caller.Service, [expired, other, Guid.NewGuid()]);
        var changes = await repository.GetJobRunChangesAsync(Caller.Service, run.RunId);
        var allowed = await repository.GetAllowedStatusChangesAsync(user, expired);
        root.Stop();
        var spans = _spans.Where(s => s.TraceId == root.TraceId).ToList();
        Assert.All(spans, s => Assert.Equal(root.SpanId, s.ParentSpanId));
        Assert.All(spans, s => Assert.Equal(ActivityStatusCode.Unset, s.Status));

        var timeline = Assert.Single(spans, s => s.OperationName == MentorStatusTelemetry.Spans.ReadTimeline);
        Assert.Equal(expired, timeline.GetTagItem("mentorstatus.mentor_id"));
        Assert.Equal("user", timeline.GetTagItem("mentorstatus.caller"));
        Assert.Equal(2, page.Items.Count); // initial_status, certification_expired
        Assert.Equal(2, timeline.GetTagItem("mentorstatus.read.rows"));

        var current = Assert.Single(spans, s => s.OperationName == MentorStatusTelemetry.Spans.ReadCurrentStatuses);
        Assert.Equal("service", current.GetTagItem("mentorstatus.caller"));
        Assert.Equal(3, current.GetTagItem("mentorstatus.read.requested"));
        Assert.Equal(2, statuses.Count); // the made-up id is absent
        Assert.Equal(2, current.GetTagItem("mentorstatus.read.rows"));
        Assert.Null(current.GetTagItem("mentorstatus.mentor_id"));

        var jobRun = Assert.Single(spans, s => s.OperationName == MentorStatusTelemetry.Spans.ReadJobRunChanges);
        Assert.Equal(run.RunId, jobRun.GetTagItem("mentorstatus.job.run_id"));
        Assert.Equal(ReasonCodes.CertificationExpired, Assert.Single(changes).Reason);
        Assert.Equal(1, jobRun.GetTagItem("mentorstatus.read.rows"));

        var allowedSpan = Assert.Single(spans, s => s.OperationName == MentorStatusTelemetry.Spans.ReadAllowedChanges);
        Assert.Equal(expired, allowedSpan.GetTagItem("mentorstatus.mentor_id"));
        Assert.Equal("user", allowedSpan.GetTagItem("mentorstatus.caller"));
        Assert.Equal(allowed.Count, allowedSpan.GetTagItem("mentorstatus.read.rows"));

        Assert.Equal(4, spans.Count);
        // no user id in any tag: the caller is a kind, never who
        Assert.DoesNotContain(spans.SelectMany(s => s.TagObjects), t => t.Value?.ToString() == coordinator.ToString());

        // each read refused by a database without the schema (platform layer only): a failed span each
        var bare = await TestDatabases.PlatformAsync("otel_reads_bare");
        await using var broken = MentorStatusDataSource.Create(bare.ConnectionString);
        var failing = new MentorStatusRepository(broken);
        using var failRoot = new Activity("failing reads").Start();
        var errors = new Dictionary<string, PostgresException>
        {
            [MentorStatusTelemetry.Spans.ReadTimeline] = await Assert.ThrowsAsync<PostgresException>(() => failing.GetTimelineAsync(user, expired)),
            [MentorStatusTelemetry.Spans.ReadCurrentStatuses] = await Assert.ThrowsAsync<PostgresException>(() => failing.GetCurrentStatusesAsync(Caller.Service, [expired])),
            [MentorStatusTelemetry.Spans.ReadJobRunChanges] = await Assert.ThrowsAsync<PostgresException>(() => failing.GetJobRunChangesAsync(Caller.Service, run.RunId)),
            [MentorStatusTelemetry.Spans.ReadAllowedChanges] = await Assert.ThrowsAsync<PostgresException>(() => failing.GetAllowedStatusChangesAsync(user, expired)),
        };
        failRoot.Stop();
        var failedSpans = _spans.Where(s => s.TraceId == failRoot.TraceId).ToList();
        Assert.Equal(errors.Keys.Order(StringComparer.Ordinal), failedSpans.Select(s => s.OperationName).Order(StringComparer.Ordinal));
        foreach (var span in failedSpans)
        {
            Assert.Equal(ActivityStatusCode.Error, span.Status);
            Assert.Equal(errors[span.OperationName].Message, span.StatusDescription);
            Assert.Equal(typeof(PostgresException).FullName, span.GetTagItem("error.type"));
            Assert.Null(span.GetTagItem("mentorstatus.read.rows"));
        }
    }
}
