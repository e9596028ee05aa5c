using MentorStatus.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace MentorStatus;

/// <summary>Delivers one notification. Use <see cref="CoordinatorNotification.IdempotencyKey"/> so the channel can drop a redelivery.</summary>
public interface INotificationSender
{
    /// <summary>Delivers the notification or throws; the dispatcher records the outcome.</summary>
    /// <param name="notification">The outbox row.</param>
    /// <param name="ct">Cancels the delivery.</param>
    Task SendAsync(CoordinatorNotification notification, CancellationToken ct);
}

/// <summary>The default sender: one line per notification on a TextWriter (stderr in the command line). Ids only, no personal data.</summary>
public sealed class LoggingNotificationSender(TextWriter writer) : INotificationSender
{
    /// <inheritdoc />
    public async Task SendAsync(CoordinatorNotification n, CancellationToken ct) =>
        await writer.WriteLineAsync((
            $"notify coordinator {n.CoordinatorUserId}: {n.MentorIds.Count} mentor(s) paused by job run {n.JobRunId} " +
            $"[{string.Join(", ", n.MentorIds)}]{(n.FellBackToOrganisation ? $" ({n.FallbackMentorIds.Count} via organisation fallback)" : "")} " +
            $"idempotency-key={n.IdempotencyKey}").AsMemory(), ct);
}

/// <summary>Settings of <see cref="NotificationDispatcher"/> (configuration: MentorStatus:Dispatcher).</summary>
public sealed record NotificationDispatcherOptions
{
    /// <summary>Rows claimed per round.</summary>
    public int BatchSize { get; init; } = 50;
    /// <summary>After this many failed attempts a notification is marked failed and left alone.</summary>
    public int MaxAttempts { get; init; } = 8;
    /// <summary>Backoff after the first failure; doubled per attempt (with jitter), capped at <see cref="MaxBackoff"/>.</summary>
    public TimeSpan BaseBackoff { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>Longest backoff between attempts.</summary>
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromHours(1);
    /// <summary>How long a claim holds a row. A dispatcher that dies holding one frees it after this.</summary>
    public TimeSpan ClaimDuration { get; init; } = TimeSpan.FromMinutes(5);
    /// <summary>Retries of the dispatcher's transactions.</summary>
    public RetryOptions Retry { get; init; } = RetryOptions.Default;
}

/// <summary>What one dispatch did.</summary>
/// <param name="Sent">Delivered and recorded as sent.</param>
/// <param name="Retrying">Failed, scheduled for another attempt.</param>
/// <param name="Failed">Failed for the last time (MaxAttempts reached).</param>
public sealed record DispatchResult(int Sent, int Retrying, int Failed);

/// <summary>
/// Delivers due outbox rows of finished job runs. Per row: CLAIM (short transaction, skip locked:
/// status sending, attempts + 1, next_attempt_at = claim expiry), SEND, then RECORD the outcome only if
/// the claim is still ours (same attempts value).
/// Why send-then-mark: mark-then-send loses a notification when the process dies between the two
/// (at-most-once). Send-then-mark never loses one; the only redelivery is a crash between the send and
/// its record, after the claim expires, and it carries the same idempotency key (the notification id),
/// so a channel that honours the key delivers it exactly once. A row recorded as sent is never sent
/// again, and two dispatchers never hold the same row (skip locked + claim expiry).
/// </summary>
public sealed class NotificationDispatcher(
    NpgsqlDataSource dataSource, INotificationSender sender, TimeProvider? time = null, NotificationDispatcherOptions? options = null,
    ILogger<NotificationDispatcher>? logger = null)
{
    // Only runs that are no longer running: a run merges mentors into its notifications batch by batch.
    private const string ClaimSql = $"""
        with due as (
            select n.id as due_id
            from public.coordinator_notifications n
            join public.status_job_runs r on r.id = n.job_run_id
            where n.status in ('pending', 'sending')
              and n.next_attempt_at <= $1
              and r.outcome <> 'running'
            order by n.next_attempt_at, n.id
            limit $2
            for update of n skip locked
        )
        update public.coordinator_notifications n
        set status = 'sending', attempts = n.attempts + 1, next_attempt_at = $3, updated_at = now()
        from due
        where n.id = due.due_id
        returning {CoordinatorNotificationService.NotificationColumns}
        """;

    private const string MarkSentSql = """
        update public.coordinator_notifications
        set status = 'sent', sent_at = $3, last_error = null, updated_at = now()
        where id = $1 and status = 'sending' and attempts = $2
        """;

    private const string MarkFailedSql = """
        update public.coordinator_notifications
        set status = $3, next_attempt_at = $4, last_error = $5, updated_at = now()
        where id = $1 and status = 'sending' and attempts = $2
        """;

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly NotificationDispatcherOptions _options = options ?? new NotificationDispatcherOptions();
    private readonly ILogger _log = logger ?? NullLogger<NotificationDispatcher>.Instance;

    /// <summary>Sends every due notification once; returns when none is due.</summary>
    public async Task<DispatchResult> DispatchAsync(IProgress<string>? progress = null, CancellationToken ct = default)
    {
        using var activity = MentorStatusTelemetry.Source.StartActivity(MentorStatusTelemetry.Spans.Dispatch);
        int sent = 0, retrying = 0, failed = 0;
        var seen = new HashSet<Guid>();
        while (true)
        {
            var claimed = await ClaimAsync(ct);
            // A row that failed and is due again at once (no backoff) would loop: one attempt per dispatch.
            claimed = claimed.Where(n => seen.Add(n.Id)).ToList();
            if (claimed.Count == 0) break;
            foreach (var notification in claimed)
            {
                ct.ThrowIfCancellationRequested();
                try
                {
                    await sender.SendAsync(notification, ct);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    var giveUp = notification.Attempts >= _options.MaxAttempts;
                    var backoff = await RecordFailureAsync(notification, giveUp, e.Message, ct);
                    if (giveUp) failed++; else retrying++;
                    if (giveUp) _log.NotificationGaveUp(e, notification.Id, notification.Attempts, _options.MaxAttempts);
                    else _log.NotificationRetrying(e, notification.Id, notification.Attempts, backoff);
                    MentorStatusTelemetry.NotificationsFailed.Add(1, new KeyValuePair<string, object?>("mentorstatus.outcome", giveUp ? "given_up" : "retrying"));
                    progress?.Report($"notification {notification.Id}: attempt {notification.Attempts} failed ({e.Message}){(giveUp ? ", giving up" : ", will retry")}");
                    continue;
                }
                if (await RecordAsync(MarkSentSql, [notification.Id, notification.Attempts, _time.GetUtcNow()], ct) == 0)
                {
                    // Our claim expired while we sent, and another dispatcher claimed the row: its outcome stands.
                    _log.NotificationClaimLost(notification.Id);
                    progress?.Report($"notification {notification.Id}: claim expired during the send; another dispatcher owns it now");
                    continue;
                }
                sent++;
                MentorStatusTelemetry.NotificationsSent.Add(1);
                _log.NotificationSent(notification.Id, notification.CoordinatorUserId, notification.Attempts, notification.JobRunId);
                progress?.Report($"notification {notification.Id} sent to coordinator {notification.CoordinatorUserId}");
            }
        }
        activity?.SetTag("mentorstatus.notifications.sent", sent).SetTag("mentorstatus.notifications.retrying", retrying)
            .SetTag("mentorstatus.notifications.failed", failed);
        _log.DispatchFinished(sent, retrying, failed);
        return new DispatchResult(sent, retrying, failed);
    }

    /// <summary>Claims up to BatchSize due rows and commits the claim (visible to a crash).</summary>
    internal Task<List<CoordinatorNotification>> ClaimAsync(CancellationToken ct) =>
        Transactions.RunAsync(dataSource, null, _options.Retry, async (c, token) =>
        {
            var now = _time.GetUtcNow();
            await using var command = new NpgsqlCommand(ClaimSql, c)
            {
                Parameters = { new() { Value = now }, new() { Value = _options.BatchSize }, new() { Value = now + _options.ClaimDuration } },
            };
            return await CoordinatorNotificationService.ReadAsync(command, token);
        }, ct);

    /// <summary>Backoff before attempt n+1: BaseBackoff · 2^(n-1), capped, with ±20 % jitter so retries spread.</summary>
    internal TimeSpan Backoff(int attempts)
    {
        var raw = _options.BaseBackoff.TotalMilliseconds * Math.Pow(2, Math.Max(0, attempts - 1));
        var capped = Math.Min(raw, _options.MaxBackoff.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(capped * (0.8 + 0.4 * Random.Shared.NextDouble()));
    }

    /// <summary>Records a failed attempt; returns the backoff before the next one (zero when giving up).</summary>
    private async Task<TimeSpan> RecordFailureAsync(CoordinatorNotification n, bool giveUp, string error, CancellationToken ct)
    {
        var backoff = giveUp ? TimeSpan.Zero : Backoff(n.Attempts);
        await RecordAsync(MarkFailedSql,
            [n.Id, n.Attempts, giveUp ? "failed" : "pending", _time.GetUtcNow() + backoff, error.Length > 500 ? error[..500] : error], ct);
        return backoff;
    }

    /// <summary>Runs a mark statement; returns 0 when the claim it names is no longer ours.</summary>
    private Task<int> RecordAsync(string sql, object[] values, CancellationToken ct) =>
        Transactions.RunAsync(dataSource, null, _options.Retry, async (c, token) =>
        {
            await using var command = new NpgsqlCommand(sql, c);
            foreach (var value in values) command.Parameters.Add(new NpgsqlParameter { Value = value });
            return await command.ExecuteNonQueryAsync(token);
        }, ct);
}
