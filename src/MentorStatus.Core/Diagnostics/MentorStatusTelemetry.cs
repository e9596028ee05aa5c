using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace MentorStatus.Diagnostics;

/// <summary>
/// The library's traces and metrics: one <see cref="ActivitySource"/> and one <see cref="Meter"/>, both named
/// <see cref="Name"/>. Subscribe with OpenTelemetry (<c>AddSource("MentorStatus")</c>, <c>AddMeter("MentorStatus")</c>)
/// or any ActivityListener / MeterListener. Tags carry ids and counts only, never a mentor's name or email.
/// </summary>
public static class MentorStatusTelemetry
{
    /// <summary>Name of the activity source and of the meter.</summary>
    public const string Name = "MentorStatus";

    /// <summary>Span names (low cardinality, as OpenTelemetry asks).</summary>
    public static class Spans
    {
        /// <summary>One status change through the repository.</summary>
        public const string StatusChange = "mentorstatus.status_change";
        /// <summary>One run of the certification-expiry job.</summary>
        public const string JobRun = "mentorstatus.job.run";
        /// <summary>One committed (or failed) batch of a job run.</summary>
        public const string JobBatch = "mentorstatus.job.batch";
        /// <summary>One dispatch of the notification outbox.</summary>
        public const string Dispatch = "mentorstatus.notifications.dispatch";
        /// <summary>One page of a mentor's timeline (tags: mentorstatus.mentor_id, mentorstatus.caller, mentorstatus.read.rows).</summary>
        public const string ReadTimeline = "mentorstatus.read.timeline";
        /// <summary>Current statuses of a set of mentors (tags: mentorstatus.read.requested, mentorstatus.caller, mentorstatus.read.rows).</summary>
        public const string ReadCurrentStatuses = "mentorstatus.read.current_statuses";
        /// <summary>The status changes of one job run (tags: mentorstatus.job.run_id, mentorstatus.caller, mentorstatus.read.rows).</summary>
        public const string ReadJobRunChanges = "mentorstatus.read.job_run_changes";
        /// <summary>The changes a signed-in user may make to a mentor (tags: mentorstatus.mentor_id, mentorstatus.caller, mentorstatus.read.rows).</summary>
        public const string ReadAllowedChanges = "mentorstatus.read.allowed_changes";
    }

    /// <summary>Instrument names.</summary>
    public static class Instruments
    {
        /// <summary>Counter: status changes written by the repository (tags: mentorstatus.new_status, mentorstatus.caller).</summary>
        public const string StatusChanges = "mentorstatus.status.changes";
        /// <summary>Counter: mentors paused by the certification-expiry job.</summary>
        public const string MentorsPaused = "mentorstatus.job.mentors_paused";
        /// <summary>Histogram, seconds: duration of one job batch (statement and commit).</summary>
        public const string BatchDuration = "mentorstatus.job.batch.duration";
        /// <summary>Counter: notifications delivered and recorded as sent.</summary>
        public const string NotificationsSent = "mentorstatus.notifications.sent";
        /// <summary>Counter: failed delivery attempts (tag mentorstatus.outcome: retrying or given_up).</summary>
        public const string NotificationsFailed = "mentorstatus.notifications.failed";
        /// <summary>Counter: transactions retried after a transient conflict (tag db.response.status_code: the SQLSTATE).</summary>
        public const string Retries = "mentorstatus.retries";
    }

    private static readonly string? Version = typeof(MentorStatusTelemetry).Assembly.GetName().Version?.ToString();

    internal static readonly ActivitySource Source = new(Name, Version);
    internal static readonly Meter Meter = new(Name, Version);

    internal static readonly Counter<long> StatusChanges =
        Meter.CreateCounter<long>(Instruments.StatusChanges, "{change}", "Status changes written by the repository.");
    internal static readonly Counter<long> MentorsPaused =
        Meter.CreateCounter<long>(Instruments.MentorsPaused, "{mentor}", "Mentors paused by the certification-expiry job.");
    internal static readonly Histogram<double> BatchDuration =
        Meter.CreateHistogram<double>(Instruments.BatchDuration, "s", "Duration of one certification-expiry batch.");
    internal static readonly Counter<long> NotificationsSent =
        Meter.CreateCounter<long>(Instruments.NotificationsSent, "{notification}", "Coordinator notifications delivered.");
    internal static readonly Counter<long> NotificationsFailed =
        Meter.CreateCounter<long>(Instruments.NotificationsFailed, "{notification}", "Failed delivery attempts of coordinator notifications.");
    internal static readonly Counter<long> Retries =
        Meter.CreateCounter<long>(Instruments.Retries, "{retry}", "Transactions retried after a serialization failure, deadlock or lock timeout.");

    internal static void RecordStatusChange(Caller caller, MentorState newStatus, Activity? activity)
    {
        var callerKind = CallerKind(caller);
        StatusChanges.Add(1, new("mentorstatus.new_status", Label(newStatus)), new("mentorstatus.caller", callerKind));
        activity?.SetTag("mentorstatus.caller", callerKind);
    }

    internal static Activity? StartStatusChange(Guid mentorId, MentorState newStatus, string reason) =>
        Source.StartActivity(Spans.StatusChange)?
            .SetTag("mentorstatus.mentor_id", mentorId)
            .SetTag("mentorstatus.new_status", Label(newStatus))
            .SetTag("mentorstatus.reason", reason);

    /// <summary>
    /// Starts the span of a read. The caller is tagged by kind only (user or service), never by the user's id;
    /// the other tags are ids of mentors and job runs, as on the write spans.
    /// </summary>
    internal static Activity? StartRead(string span, Caller? caller) =>
        Source.StartActivity(span)?.SetTag("mentorstatus.caller", CallerKind(caller));

    /// <summary>
    /// Runs <paramref name="read"/> inside the span <paramref name="start"/> starts: the rows it returned as
    /// mentorstatus.read.rows, or its exception as the span's error status. The span is started here, inside this
    /// async method, so that Activity.Current is the span only for the read and the caller's stays its own.
    /// </summary>
    internal static async Task<T> TraceReadAsync<T>(Func<Activity?> start, Func<Task<T>> read, Func<T, int> rows)
    {
        using var activity = start();
        try
        {
            var result = await read();
            activity?.SetTag("mentorstatus.read.rows", rows(result));
            return result;
        }
        catch (Exception e)
        {
            Fail(activity, e);
            throw;
        }
    }

    internal static void Fail(Activity? activity, Exception e)
    {
        if (activity is null) return;
        activity.SetStatus(ActivityStatusCode.Error, e.Message);
        activity.SetTag("error.type", e.GetType().FullName);
    }

    private static string CallerKind(Caller? caller) => caller is Caller.UserCaller ? "user" : "service";

    private static string Label(MentorState state) => state.ToString().ToLowerInvariant();
}
