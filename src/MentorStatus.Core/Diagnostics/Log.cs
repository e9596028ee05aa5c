using Microsoft.Extensions.Logging;

namespace MentorStatus.Diagnostics;

/// <summary>
/// Every log line of the library, source-generated (no boxing, no formatting when the level is off).
/// Structured fields are ids, counts and SQLSTATEs; a mentor's name or email is never logged.
/// Event ids: 1xxx job, 2xxx dispatcher, 3xxx transactions.
/// </summary>
internal static partial class Log
{
    // certification-expiry job
    [LoggerMessage(1000, LogLevel.Information, "Certification-expiry run {RunId} started as of {AsOf:o}, batch size {BatchSize}, {Eligible} mentor(s) eligible")]
    public static partial void JobRunStarted(this ILogger logger, Guid runId, DateTimeOffset asOf, int batchSize, int eligible);

    [LoggerMessage(1001, LogLevel.Information, "Certification-expiry run {RunId} batch {Batch}: {MentorCount} mentor(s) paused ({PausedSoFar} so far) in {ElapsedMs:0.0} ms")]
    public static partial void JobBatchCommitted(this ILogger logger, Guid runId, int batch, int mentorCount, int pausedSoFar, double elapsedMs);

    [LoggerMessage(1002, LogLevel.Information, "Certification-expiry run {RunId} succeeded: {MentorCount} mentor(s) paused in {Batches} batch(es), {Notifications} notification(s) written")]
    public static partial void JobRunSucceeded(this ILogger logger, Guid runId, int mentorCount, int batches, int notifications);

    [LoggerMessage(1003, LogLevel.Warning, "Certification-expiry: marked {Count} abandoned run(s) failed (no batch committed for {AbandonAfter})")]
    public static partial void AbandonedRunsMarked(this ILogger logger, int count, TimeSpan abandonAfter);

    [LoggerMessage(1004, LogLevel.Warning, "Certification-expiry run {RunId} cancelled after {Batches} batch(es); committed batches stay, the next run finishes the work")]
    public static partial void JobRunCancelled(this ILogger logger, Guid runId, int batches);

    [LoggerMessage(1005, LogLevel.Error, "Certification-expiry run {RunId} failed after {Batches} batch(es)")]
    public static partial void JobRunFailed(this ILogger logger, Exception exception, Guid runId, int batches);

    // notification dispatcher
    [LoggerMessage(2000, LogLevel.Information, "Notification {NotificationId} sent to coordinator {CoordinatorUserId} (attempt {Attempt}, job run {RunId})")]
    public static partial void NotificationSent(this ILogger logger, Guid notificationId, Guid coordinatorUserId, int attempt, Guid runId);

    [LoggerMessage(2001, LogLevel.Warning, "Notification {NotificationId} attempt {Attempt} failed; retrying after {Backoff}")]
    public static partial void NotificationRetrying(this ILogger logger, Exception exception, Guid notificationId, int attempt, TimeSpan backoff);

    [LoggerMessage(2002, LogLevel.Error, "Notification {NotificationId} attempt {Attempt} failed; giving up (max {MaxAttempts} attempts)")]
    public static partial void NotificationGaveUp(this ILogger logger, Exception exception, Guid notificationId, int attempt, int maxAttempts);

    [LoggerMessage(2003, LogLevel.Warning, "Notification {NotificationId}: the claim expired during the send and another dispatcher owns the row now")]
    public static partial void NotificationClaimLost(this ILogger logger, Guid notificationId);

    [LoggerMessage(2004, LogLevel.Information, "Dispatch finished: {Sent} sent, {Retrying} to retry, {Failed} given up")]
    public static partial void DispatchFinished(this ILogger logger, int sent, int retrying, int failed);

    // A worker dispatches every few minutes; a round with nothing due is not news at Information.
    [LoggerMessage(2005, LogLevel.Debug, "Dispatch finished: nothing sent, retried or given up")]
    public static partial void DispatchFoundNothing(this ILogger logger);

    [LoggerMessage(2006, LogLevel.Warning, "{Count} notification(s) put back unattempted: half of their claim ({ClaimDuration}) was spent before their turn; slow channels, or a ClaimDuration too short for them")]
    public static partial void NotificationsReleased(this ILogger logger, int count, TimeSpan claimDuration);

    // transactions (repository, job and dispatcher alike)
    [LoggerMessage(3000, LogLevel.Warning, "Transient conflict {SqlState} on attempt {Attempt} of {MaxAttempts}; retrying in {DelayMs:0} ms")]
    public static partial void TransientRetry(this ILogger logger, string sqlState, int attempt, int maxAttempts, double delayMs);

    [LoggerMessage(3001, LogLevel.Error, "Transient conflict {SqlState} persisted through {Attempts} attempts; giving up")]
    public static partial void RetriesExhausted(this ILogger logger, string sqlState, int attempts);

    [LoggerMessage(3002, LogLevel.Warning, "Connection lost during a read ({SqlState}) on attempt {Attempt} of {MaxAttempts}; clearing the pool and reading again")]
    public static partial void LostConnectionRetry(this ILogger logger, string sqlState, int attempt, int maxAttempts);
}
