namespace MentorStatus.Worker;

/// <summary>The worker's log lines (event ids 5xxx), source-generated.</summary>
internal static partial class WorkerLog
{
    [LoggerMessage(5000, LogLevel.Information, "Next certification-expiry run at {Next:o} ({Schedule} in {TimeZone})")]
    public static partial void NextRun(this ILogger logger, DateTimeOffset next, string schedule, string timeZone);

    [LoggerMessage(5001, LogLevel.Error, "Certification-expiry run failed; the next scheduled run finishes the work")]
    public static partial void JobFailed(this ILogger logger, Exception exception);

    [LoggerMessage(5002, LogLevel.Information, "Stopping: the certification-expiry run stopped after its batch in flight")]
    public static partial void JobStoppedBetweenBatches(this ILogger logger);

    [LoggerMessage(5003, LogLevel.Error, "Notification dispatch failed; trying again in {Interval}")]
    public static partial void DispatchFailed(this ILogger logger, Exception exception, TimeSpan interval);

    [LoggerMessage(5004, LogLevel.Information, "The database matches this build (mentor_status mapping, labels and reason codes)")]
    public static partial void SchemaVerified(this ILogger logger);
}
