using MentorStatus.Notifications;
using MentorStatus.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace MentorStatus;

/// <summary>Delivers one notification; throws on failure. Use <see cref="CoordinatorNotification.IdempotencyKey"/> so the receiver can drop a redelivery.
/// A simple way to plug in a channel of your own (see <see cref="SenderChannel"/>); the built-in channels implement <see cref="INotificationChannel"/>.</summary>
public interface INotificationSender
{
    /// <summary>Delivers the notification or throws; the dispatcher records the outcome.</summary>
    /// <param name="notification">The outbox row.</param>
    /// <param name="ct">Cancels the delivery.</param>
    Task SendAsync(CoordinatorNotification notification, CancellationToken ct);
}

/// <summary>Settings of the dispatcher (bind from configuration section <see cref="SectionName"/>).</summary>
public sealed record NotificationDispatcherOptions
{
    /// <summary>The configuration section these settings bind from.</summary>
    public const string SectionName = "MentorStatus:Notifications:Dispatcher";

    /// <summary>Rows claimed per round (the outbox is streamed in batches of this size: memory stays flat). A batch is
    /// claimed in one statement and its outcomes recorded in one statement; a dispatcher that dies leaves at most twice
    /// this many notifications delivered but not recorded (delivered again after the claim, with the same key).</summary>
    public int BatchSize { get; set; } = 100;
    /// <summary>Notifications delivered at once within a batch.</summary>
    public int MaxConcurrency { get; set; } = 8;
    /// <summary>Record a batch's outcomes without waiting for the WAL flush (default true; see <see cref="NotificationDispatcher"/>
    /// for why a lost record only means a redelivery with the same idempotency key). Claims always wait for it.</summary>
    public bool AsynchronousCommit { get; set; } = true;
    /// <summary>After this many failed attempts a notification is marked failed with its last error and left alone (until `notifications retry`).</summary>
    public int MaxAttempts { get; set; } = 8;
    /// <summary>Backoff after the first failure; doubled per attempt (with jitter), capped at <see cref="MaxBackoff"/>.</summary>
    public TimeSpan BaseBackoff { get; set; } = TimeSpan.FromSeconds(30);
    /// <summary>Longest backoff between attempts.</summary>
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromHours(1);
    /// <summary>How long a claim holds a row. A dispatcher that dies holding one frees it after this. No delivery of a
    /// batch starts after half of it has passed (the rest is released, unattempted): keep it above twice the longest
    /// delivery (the channels' timeouts added up), so that a delivery never outlives its claim.</summary>
    public TimeSpan ClaimDuration { get; set; } = TimeSpan.FromMinutes(5);
    /// <summary>Retries of the dispatcher's own database transactions (e.g. claiming due rows).</summary>
    public RetryOptions Retry { get; set; } = RetryOptions.Default;

    /// <summary>A message naming what is out of range; null when usable.</summary>
    public string? Problem() =>
        BatchSize < 1 ? $"{SectionName}:BatchSize must be at least 1"
        : MaxConcurrency < 1 ? $"{SectionName}:MaxConcurrency must be at least 1"
        : MaxAttempts < 1 ? $"{SectionName}:MaxAttempts must be at least 1"
        : BaseBackoff < TimeSpan.Zero || MaxBackoff < TimeSpan.Zero ? $"{SectionName}:BaseBackoff and MaxBackoff must not be negative"
        : ClaimDuration <= TimeSpan.Zero ? $"{SectionName}:ClaimDuration must be positive"
        : null;
}

/// <summary>What one dispatch did.</summary>
/// <param name="Sent">Delivered and recorded as sent.</param>
/// <param name="Retrying">Failed, scheduled for another attempt.</param>
/// <param name="Failed">Failed for the last time (MaxAttempts reached).</param>
public sealed record DispatchResult(int Sent, int Retrying, int Failed);

/// <summary>
/// Delivers due outbox rows of finished job runs over the configured channels. Per batch of up to BatchSize:
/// CLAIM in one statement (skip locked: status sending, attempts + 1, next_attempt_at = claim expiry; committed
/// and flushed before anything is delivered), READ the content and the channels' earlier outcomes in one round
/// trip, DELIVER (up to MaxConcurrency notifications at once) on every channel that has not delivered yet, then
/// RECORD every outcome of the batch in one statement, only for the rows whose claim is still ours
/// (<see cref="OutcomeRecorder"/>). Three round trips per batch, whatever its size. The database work of the
/// neighbouring batches runs while a batch is delivered (the next one claimed and read, the previous one recorded),
/// so the dispatcher waits on PostgreSQL's round trips and commits only where they are longer than a batch's delivery.
///
/// What `sent` means with several channels: every channel has a final outcome and at least one of them
/// delivered (delivered or no_address for email; a channel that gave up is recorded as failed beside it).
/// While a channel can still be retried the notification stays pending; a retry redoes only the
/// channels that have not delivered, so a coordinator never gets the email twice because the webhook
/// failed. No channel delivered after the maximum attempts (or all refused): `failed`, with the errors.
///
/// Why deliver-then-record: record-then-deliver loses a notification when the process dies between
/// the two. Deliver-then-record never loses one; the only redelivery is a crash between a delivery and
/// its record (or a server crash that loses an asynchronously committed record), after the claim expires,
/// and it carries the same idempotency key (the notification id), so a channel that honours the key
/// delivers it exactly once. At most two batches are delivered and not yet recorded (one being recorded while the
/// next is delivered), so at most 2 × BatchSize notifications are redelivered after a crash. A live claim is never taken over: two dispatchers never
/// deliver the same row within one claim.
/// </summary>
public sealed class NotificationDispatcher
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
              and n.id <> all ($4)
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

    private const string PriorOutcomesSql = """
        select notification_id, channel, outcome
        from public.coordinator_notification_deliveries
        where notification_id = any ($1)
        """;

    private static readonly HashSet<string> FinalChannelOutcomes = ["delivered", "no_address", "failed"];

    private readonly NpgsqlDataSource _dataSource;
    private readonly IReadOnlyList<INotificationChannel> _channels;
    private readonly TimeProvider _time;
    private readonly NotificationDispatcherOptions _options;
    private readonly ILogger _log;

    /// <summary>A dispatcher that delivers every notification on each of <paramref name="channels"/>.</summary>
    /// <param name="dataSource">The database holding the outbox.</param>
    /// <param name="channels">At least one channel, each name once.</param>
    /// <param name="time">The clock (tests); the system clock by default.</param>
    /// <param name="options">Settings; the defaults when null.</param>
    /// <param name="logger">Logger; none when null.</param>
    /// <exception cref="ArgumentException">No channel, a channel twice, or options out of range.</exception>
    public NotificationDispatcher(NpgsqlDataSource dataSource, IReadOnlyList<INotificationChannel> channels,
        TimeProvider? time = null, NotificationDispatcherOptions? options = null, ILogger<NotificationDispatcher>? logger = null)
    {
        if (channels.Count == 0)
            throw new ArgumentException("no notification channel: configure at least one (inbox, email, webhook) so that a notification is marked sent only when it reached someone.");
        if (channels.Select(c => c.Name).Distinct().Count() != channels.Count)
            throw new ArgumentException($"each channel may be configured once: {string.Join(", ", channels.Select(c => c.Name))}");
        _options = options ?? new NotificationDispatcherOptions();
        if (_options.Problem() is { } problem) throw new ArgumentException(problem);
        _dataSource = dataSource;
        _channels = channels;
        _time = time ?? TimeProvider.System;
        _log = logger ?? NullLogger<NotificationDispatcher>.Instance;
    }

    /// <summary>A dispatcher with one channel of your own that throws on failure.</summary>
    public NotificationDispatcher(NpgsqlDataSource dataSource, INotificationSender sender, TimeProvider? time = null,
        NotificationDispatcherOptions? options = null, ILogger<NotificationDispatcher>? logger = null)
        : this(dataSource, [new SenderChannel(sender)], time, options, logger) { }

    /// <summary>The configured channels, in order.</summary>
    public IReadOnlyList<INotificationChannel> Channels => _channels;

    /// <summary>Sends every due notification once; returns when none is due.</summary>
    public async Task<DispatchResult> DispatchAsync(IProgress<string>? progress = null, CancellationToken ct = default)
    {
        using var activity = MentorStatusTelemetry.Source.StartActivity(MentorStatusTelemetry.Spans.Dispatch);
        var counts = new int[3]; // sent, retrying, failed
        // A row that failed and is due again at once (no backoff) would loop: one attempt per dispatch.
        var rescheduled = new HashSet<Guid>();
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = _options.MaxConcurrency, CancellationToken = ct };
        Task? recording = null;
        Task<Batch>? following = null;
        try
        {
            var batch = await ClaimBatchAsync([.. rescheduled], ct);
            while (batch.Claimed.Count > 0)
            {
                // The database work of the neighbouring batches runs while this one is delivered: the next batch is
                // claimed and read, the previous one recorded. Each waits for the network and its commit, not for the CPU.
                following = ClaimBatchAsync([.. rescheduled], ct);
                var outcomes = new DeliveryOutcome?[batch.Claimed.Count];
                Exception? stopped = null;
                try
                {
                    await Parallel.ForEachAsync(Enumerable.Range(0, outcomes.Length), parallel, async (i, token) =>
                    {
                        var n = batch.Claimed[i];
                        // Past half the claim, a slow batch (every channel timing out) could outlive it, and another
                        // dispatcher would deliver the row a second time: it goes back to the outbox unattempted.
                        outcomes[i] = _time.GetUtcNow() > batch.StartBy
                            ? DeliveryOutcome.Released(n.Id, n.Attempts, _time.GetUtcNow())
                            : await DeliverAsync(batch.Messages[n.Id], batch.Prior.GetValueOrDefault(n.Id), token);
                    });
                }
                catch (Exception e)
                {
                    // Cancelled (or a channel failed in a way it should not): what was delivered is still recorded below,
                    // or it would be delivered again; the rest stays claimed until the claim expires.
                    stopped = e;
                }
                if (recording is not null) await recording; // one record in flight at a time
                recording = null;
                // This batch's rows become claimable again only when its record commits, so the following claim is
                // finished before the record starts, and the next one excludes the rows rescheduled here.
                Batch? next = null;
                if (stopped is null)
                {
                    try
                    {
                        next = await following;
                    }
                    catch (Exception e)
                    {
                        stopped = e; // this batch is still recorded
                    }
                    following = null;
                }
                var delivered = outcomes.OfType<DeliveryOutcome>().ToList();
                foreach (var outcome in delivered.Where(o => o.Status == DeliveryStatus.Pending && !o.IsRelease)) rescheduled.Add(outcome.Id);
                recording = delivered.Count == 0 ? null : RecordAsync(batch, delivered, counts, progress);
                if (stopped is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(stopped);
                if (next!.Claimed.Count == 0 && delivered.Any(o => o.IsRelease))
                {
                    // the released rows are due again once their record commits: claim them in this dispatch
                    await recording!;
                    recording = null;
                    next = await ClaimBatchAsync([.. rescheduled], ct);
                }
                batch = next;
            }
        }
        finally
        {
            // Never leave a record unwritten or a claim's failure unobserved, even when cancelled or failing.
            if (recording is not null) await recording;
            if (following is not null) await following.ContinueWith(t => t.Exception, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
        int sent = counts[0], retrying = counts[1], failed = counts[2];
        activity?.SetTag("mentorstatus.notifications.sent", sent).SetTag("mentorstatus.notifications.retrying", retrying)
            .SetTag("mentorstatus.notifications.failed", failed);
        if (sent + retrying + failed == 0) _log.DispatchFoundNothing();
        else _log.DispatchFinished(sent, retrying, failed);
        return new DispatchResult(sent, retrying, failed);
    }

    /// <summary>A claimed batch with what the channels need, and when its last delivery may start (half its claim).</summary>
    private sealed record Batch(List<CoordinatorNotification> Claimed, Dictionary<Guid, NotificationMessage> Messages,
        Dictionary<Guid, Dictionary<string, string>> Prior, DateTimeOffset StartBy);

    /// <summary>Claims the next batch and reads its content: two round trips.</summary>
    private async Task<Batch> ClaimBatchAsync(Guid[] exclude, CancellationToken ct)
    {
        var startBy = _time.GetUtcNow() + _options.ClaimDuration / 2; // read before the claim: never later than its clock
        var claimed = await ClaimAsync(ct, exclude);
        if (claimed.Count == 0) return new Batch(claimed, [], [], startBy);
        var (messages, prior) = await ReadBatchAsync(claimed, ct);
        return new Batch(claimed, messages, prior, startBy);
    }

    /// <summary>Records a batch's outcomes in one statement, then logs, counts and reports each one recorded.</summary>
    private async Task RecordAsync(Batch batch, List<DeliveryOutcome> delivered, int[] counts, IProgress<string>? progress)
    {
        var recorded = await OutcomeRecorder.RecordAsync(_dataSource, _time, _options.Retry, _options.AsynchronousCommit, delivered, _log);
        if (delivered.Count(o => o.IsRelease && recorded.Contains(o.Id)) is > 0 and var released)
        {
            _log.NotificationsReleased(released, _options.ClaimDuration);
            progress?.Report($"{released} notification(s) put back unattempted: half of their {_options.ClaimDuration.TotalSeconds:0} s claim " +
                             "was spent before their turn (slow channels); they are claimed again");
        }
        foreach (var outcome in delivered.Where(o => !o.IsRelease))
        {
            if (!recorded.Contains(outcome.Id))
            {
                // Our claim expired while we delivered, and another dispatcher claimed the row: its outcome stands.
                _log.NotificationClaimLost(outcome.Id);
                progress?.Report($"notification {outcome.Id}: claim expired during delivery; another dispatcher owns it now");
                continue;
            }
            Report(batch.Messages[outcome.Id].Notification, outcome, progress);
            counts[outcome.Status switch { DeliveryStatus.Sent => 0, DeliveryStatus.Failed => 2, _ => 1 }]++;
        }
    }

    /// <summary>One notification on every channel that still needs it; returns what to record.</summary>
    private async Task<DeliveryOutcome> DeliverAsync(NotificationMessage message, Dictionary<string, string>? prior, CancellationToken ct)
    {
        var n = message.Notification;
        var results = new List<(string Channel, ChannelResult Result)>(_channels.Count);
        foreach (var channel in _channels)
        {
            if (prior is not null && prior.TryGetValue(channel.Name, out var before) && FinalChannelOutcomes.Contains(before)) continue;
            ChannelResult result;
            try
            {
                result = await channel.DeliverAsync(message, ct);
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                result = ChannelResult.Retry(e.Message);
            }
            results.Add((channel.Name, result));
        }

        var giveUp = n.Attempts >= _options.MaxAttempts;
        var channelRows = results.Select(r => (r.Channel, Outcome: r.Result.Outcome switch
        {
            ChannelOutcome.Delivered => "delivered",
            ChannelOutcome.NoAddress => "no_address",
            ChannelOutcome.GiveUp => "failed",
            _ => giveUp ? "failed" : "retrying",
        }, Error: r.Result.Error is { } e ? Truncate($"{r.Channel}: {e}") : null)).ToList();

        var errors = channelRows.Where(r => r.Error is not null && r.Outcome != "no_address").Select(r => r.Error!).ToList();
        var notes = channelRows.Where(r => r.Outcome == "no_address").Select(r => r.Error!).ToList();
        DeliveryStatus status;
        DateTimeOffset next = _time.GetUtcNow();
        if (channelRows.Any(r => r.Outcome == "retrying"))
        {
            status = DeliveryStatus.Pending;
            next += Backoff(n.Attempts);
        }
        else
        {
            var deliveredBefore = prior?.Values.Any(o => o == "delivered") ?? false;
            status = deliveredBefore || channelRows.Any(r => r.Outcome == "delivered") ? DeliveryStatus.Sent : DeliveryStatus.Failed;
        }
        var lastError = errors.Count + notes.Count == 0 ? null : Truncate(string.Join("; ", errors.Concat(notes)));
        return new DeliveryOutcome(n.Id, n.Attempts, status, next, lastError, channelRows);
    }

    /// <summary>Logs, counts and reports one recorded outcome.</summary>
    private void Report(CoordinatorNotification n, DeliveryOutcome outcome, IProgress<string>? progress)
    {
        var lastError = outcome.LastError;
        switch (outcome.Status)
        {
            case DeliveryStatus.Sent:
                MentorStatusTelemetry.NotificationsSent.Add(1);
                _log.NotificationSent(n.Id, n.CoordinatorUserId, n.Attempts, n.JobRunId);
                break;
            case DeliveryStatus.Failed:
                MentorStatusTelemetry.NotificationsFailed.Add(1, new KeyValuePair<string, object?>("mentorstatus.outcome", "given_up"));
                _log.NotificationGaveUp(new NotificationDeliveryException(lastError ?? "no channel delivered"), n.Id, n.Attempts, _options.MaxAttempts);
                break;
            default:
                MentorStatusTelemetry.NotificationsFailed.Add(1, new KeyValuePair<string, object?>("mentorstatus.outcome", "retrying"));
                _log.NotificationRetrying(new NotificationDeliveryException(lastError ?? "retrying"), n.Id, n.Attempts, outcome.NextAttemptAt - _time.GetUtcNow());
                break;
        }
        progress?.Report(outcome.Status switch
        {
            DeliveryStatus.Sent => $"notification {n.Id} sent to coordinator {n.CoordinatorUserId} ({string.Join(", ", outcome.Channels.Select(r => $"{r.Channel}: {r.Outcome}"))})",
            DeliveryStatus.Failed => $"notification {n.Id}: attempt {n.Attempts} failed ({lastError}), giving up",
            _ => $"notification {n.Id}: attempt {n.Attempts} failed ({lastError}), will retry",
        });
    }

    /// <summary>Claims up to BatchSize due rows in one statement (one round trip) and commits the claim, flushed (visible to a crash).</summary>
    internal Task<List<CoordinatorNotification>> ClaimAsync(CancellationToken ct, IReadOnlyCollection<Guid>? exclude = null)
    {
        var now = _time.GetUtcNow();
        var excluded = (exclude ?? []).ToArray();
        return Transactions.RunOneTripAsync(_dataSource, null, _options.Retry, ClaimSql, parameters =>
        {
            parameters.Add(new NpgsqlParameter { Value = now });
            parameters.Add(new NpgsqlParameter { Value = _options.BatchSize });
            parameters.Add(new NpgsqlParameter { Value = now + _options.ClaimDuration });
            parameters.Add(new NpgsqlParameter { Value = excluded });
        }, CoordinatorNotificationService.ReadRowsAsync, ct);
    }

    /// <summary>The batch's message content and each channel's earlier outcome, in one round trip (a read: read again after a lost connection).</summary>
    private Task<(Dictionary<Guid, NotificationMessage> Messages, Dictionary<Guid, Dictionary<string, string>> Prior)> ReadBatchAsync(
        List<CoordinatorNotification> claimed, CancellationToken ct) =>
        Transactions.ReadAgainOnLostConnectionAsync(_dataSource, async () =>
        {
            await using var batch = _dataSource.CreateBatch();
            batch.BatchCommands.Add(NotificationContentReader.Command(claimed));
            batch.BatchCommands.Add(new NpgsqlBatchCommand(PriorOutcomesSql) { Parameters = { new NpgsqlParameter { Value = claimed.Select(n => n.Id).ToArray() } } });
            await using var r = await batch.ExecuteReaderAsync(ct);
            var messages = await NotificationContentReader.ReadAsync(r, claimed, ct);
            await r.NextResultAsync(ct);
            var prior = new Dictionary<Guid, Dictionary<string, string>>();
            while (await r.ReadAsync(ct))
            {
                var id = r.GetGuid(0);
                if (!prior.TryGetValue(id, out var channels)) prior[id] = channels = [];
                channels[r.GetString(1)] = r.GetString(2);
            }
            return (messages, prior);
        }, _log, ct);

    /// <summary>Backoff before attempt n+1: BaseBackoff · 2^(n-1), capped, with ±20 % jitter so retries spread.</summary>
    internal TimeSpan Backoff(int attempts)
    {
        var raw = _options.BaseBackoff.TotalMilliseconds * Math.Pow(2, Math.Max(0, attempts - 1));
        var capped = Math.Min(raw, _options.MaxBackoff.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(capped * (0.8 + 0.4 * Random.Shared.NextDouble()));
    }

    private static string Truncate(string s) => s.Length > 500 ? s[..500] : s;
}

/// <summary>What the channels reported for a failed delivery attempt (carried in the dispatcher's log events).</summary>
public sealed class NotificationDeliveryException(string message) : MentorStatusException(message);
