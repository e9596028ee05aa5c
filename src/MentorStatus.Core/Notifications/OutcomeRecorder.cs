using System.Threading.Channels;
using Npgsql;

namespace MentorStatus.Notifications;

/// <summary>What the dispatcher records for one delivered (or failed) notification.</summary>
/// <param name="Id">The notification.</param>
/// <param name="Attempts">The attempt number of our claim: the record is written only while the row still carries it.</param>
/// <param name="Status">pending, sent or failed.</param>
/// <param name="NextAttemptAt">When a pending row is due again.</param>
/// <param name="LastError">The channels' errors, or null.</param>
/// <param name="Channels">Each channel tried this time, with its outcome and error.</param>
internal sealed record DeliveryOutcome(Guid Id, int Attempts, string Status, DateTimeOffset NextAttemptAt, string? LastError,
    IReadOnlyList<(string Channel, string Outcome, string? Error)> Channels);

/// <summary>
/// Records delivery outcomes in groups, one statement and one commit per group (group commit). Why: each
/// commit waits for a WAL flush (about 4 ms on this project's machines), so a commit per notification capped
/// the dispatcher at a few hundred a second. The crash guarantee is unchanged: a delivery task waits until
/// its own outcome is committed before it takes the next notification, so at most MaxConcurrency
/// notifications are ever delivered and not yet recorded. Outcomes that arrive while a group is being
/// written form the next group.
/// </summary>
internal sealed class OutcomeRecorder : IAsyncDisposable
{
    // One statement: each notification's outcome and each channel's, only for the rows whose claim is still
    // ours (status sending, same attempt number); returns those rows' ids.
    private const string RecordSql = """
        with outcome as (
            select *
            from unnest($1::uuid[], $2::int[], $3::text[], $4::timestamptz[], $5::text[])
                as o(id, attempts, status, next_attempt_at, last_error)
        ),
        marked as (
            update public.coordinator_notifications n
            set status = o.status, next_attempt_at = o.next_attempt_at, last_error = o.last_error,
                sent_at = case when o.status = 'sent' then $6 end, updated_at = now()
            from outcome o
            where n.id = o.id and n.status = 'sending' and n.attempts = o.attempts
            returning n.id
        ),
        recorded as (
            insert into public.coordinator_notification_deliveries as d (notification_id, channel, outcome, last_error, delivered_at)
            select c.notification_id, c.channel, c.outcome, c.last_error, case when c.outcome = 'delivered' then $6 end
            from unnest($7::uuid[], $8::text[], $9::text[], $10::text[]) as c(notification_id, channel, outcome, last_error)
            join marked m on m.id = c.notification_id
            on conflict (notification_id, channel) do update
            set outcome = excluded.outcome, attempts = d.attempts + 1, last_error = excluded.last_error,
                delivered_at = excluded.delivered_at, updated_at = now()
        )
        select id from marked
        """;

    private readonly record struct Pending(DeliveryOutcome Outcome, TaskCompletionSource<bool> Recorded);

    private readonly NpgsqlDataSource _dataSource;
    private readonly TimeProvider _time;
    private readonly int _maxGroup;
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _writer;
    private int _groupsWritten;

    /// <summary>Starts the writer.</summary>
    /// <param name="dataSource">The database holding the outbox.</param>
    /// <param name="time">The clock for sent_at and delivered_at.</param>
    /// <param name="maxGroup">Most outcomes written by one statement.</param>
    public OutcomeRecorder(NpgsqlDataSource dataSource, TimeProvider time, int maxGroup)
    {
        _dataSource = dataSource;
        _time = time;
        _maxGroup = maxGroup;
        _writer = Task.Run(WriteLoopAsync);
    }

    /// <summary>Statements written so far (one per group; tests and diagnostics).</summary>
    public int GroupsWritten => Volatile.Read(ref _groupsWritten);

    /// <summary>Records <paramref name="outcome"/> with the next group; true once committed, false when the claim was no longer ours.</summary>
    /// <remarks>Not cancellable: a delivery that happened is recorded, or it would be delivered again.</remarks>
    public Task<bool> RecordAsync(DeliveryOutcome outcome)
    {
        var pending = new Pending(outcome, new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_queue.Writer.TryWrite(pending)) throw new InvalidOperationException("the outcome recorder is closed");
        return pending.Recorded.Task;
    }

    /// <summary>Writes what is queued, then stops the writer.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _writer;
    }

    private async Task WriteLoopAsync()
    {
        var group = new List<Pending>(_maxGroup);
        while (await _queue.Reader.WaitToReadAsync())
        {
            group.Clear();
            while (group.Count < _maxGroup && _queue.Reader.TryRead(out var pending)) group.Add(pending);
            try
            {
                var marked = await WriteAsync(group);
                foreach (var p in group) p.Recorded.SetResult(marked.Contains(p.Outcome.Id));
            }
            catch (Exception e)
            {
                // Every delivery of the group sees the error (the dispatch fails as a single record's failure did);
                // none of them is marked, so after the claim expires each is delivered again, with its idempotency key.
                foreach (var p in group) p.Recorded.SetException(e);
            }
        }
    }

    private async Task<HashSet<Guid>> WriteAsync(List<Pending> group)
    {
        Interlocked.Increment(ref _groupsWritten);
        var outcomes = group.Select(p => p.Outcome).ToList();
        var channels = outcomes.SelectMany(o => o.Channels.Select(c => (o.Id, c.Channel, c.Outcome, c.Error))).ToList();
        await using var command = _dataSource.CreateCommand(RecordSql);
        object?[] values =
        [
            outcomes.Select(o => o.Id).ToArray(), outcomes.Select(o => o.Attempts).ToArray(), outcomes.Select(o => o.Status).ToArray(),
            outcomes.Select(o => o.NextAttemptAt).ToArray(), outcomes.Select(o => o.LastError).ToArray(), _time.GetUtcNow(),
            channels.Select(c => c.Id).ToArray(), channels.Select(c => c.Channel).ToArray(), channels.Select(c => c.Outcome).ToArray(),
            channels.Select(c => c.Error).ToArray(),
        ];
        foreach (var value in values) command.Parameters.Add(new NpgsqlParameter { Value = value });
        var marked = new HashSet<Guid>();
        await using var reader = await command.ExecuteReaderAsync(CancellationToken.None);
        while (await reader.ReadAsync(CancellationToken.None)) marked.Add(reader.GetGuid(0));
        return marked;
    }
}
