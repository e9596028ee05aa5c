using Microsoft.Extensions.Logging;
using Npgsql;

namespace MentorStatus.Notifications;

/// <summary>What the dispatcher records for one delivered (or failed) notification.</summary>
/// <param name="Id">The notification.</param>
/// <param name="Attempts">The attempt number of our claim: the record is written only while the row still carries it.</param>
/// <param name="Status">Pending, Sent or Failed.</param>
/// <param name="NextAttemptAt">When a pending row is due again.</param>
/// <param name="LastError">The channels' errors, or null.</param>
/// <param name="Channels">Each channel tried this time, with its outcome and error.</param>
/// <param name="IsRelease">Not attempted: the row goes back to pending, due now, with its claim's attempt given back.</param>
internal sealed record DeliveryOutcome(Guid Id, int Attempts, DeliveryStatus Status, DateTimeOffset NextAttemptAt, string? LastError,
    IReadOnlyList<(string Channel, string Outcome, string? Error)> Channels, bool IsRelease = false)
{
    /// <summary>A claimed row put back without an attempt (its last error kept).</summary>
    public static DeliveryOutcome Released(Guid id, int attempts, DateTimeOffset now) => new(id, attempts, DeliveryStatus.Pending, now, null, [], true);
}

/// <summary>
/// Records the outcomes of a claimed batch: one statement, one round trip, one commit for the whole batch.
/// Each notification's mark and each channel's row are written only while the claim is still ours (status
/// sending, same attempt number); the ids returned are the notifications recorded.
///
/// Why one commit per batch, and why it may be asynchronous: a commit that waits for its WAL flush costs about
/// 4 ms on this project's machines, and a commit per notification (or per few) capped the dispatcher far below
/// the wire. An outcome is only ever lost as a whole statement, by a server crash within a few hundred
/// milliseconds of its commit (wal_writer_delay × 3), and the next claim's synchronous commit flushes it too; a
/// lost outcome leaves its rows claimed (sending), so they are delivered again after the claim expires, with
/// the same idempotency key: at-least-once, as for a dispatcher that dies between delivering and recording.
/// </summary>
internal static class OutcomeRecorder
{
    // marked: the rows whose claim is still ours, set to their outcome. recorded: each channel's row of those.
    // already: the same write found in place with our attempt number — a retry after a lost connection whose
    // first try had committed (a claim by anyone else increments attempts, so nobody else can have written it).
    // Every CTE reads the snapshot taken before the update, so a row marked now is not also in `already`.
    private const string RecordSql = """
        with outcome as (
            select *
            from unnest($1::uuid[], $2::int[], $3::text[], $4::timestamptz[], $5::text[], $11::bool[])
                as o(id, attempts, status, next_attempt_at, last_error, released)
        ),
        marked as (
            update public.coordinator_notifications n
            set status = o.status, next_attempt_at = o.next_attempt_at,
                last_error = case when o.released then n.last_error else o.last_error end,
                attempts = n.attempts - o.released::int,
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
        ),
        already as (
            select n.id
            from public.coordinator_notifications n
            join outcome o on o.id = n.id
            where n.attempts = o.attempts - o.released::int and n.status = o.status and n.next_attempt_at = o.next_attempt_at
        )
        select id from marked
        union all
        select id from already
        """;

    /// <summary>Records <paramref name="outcomes"/> in one statement; returns the ids recorded (the others' claims were no longer ours).</summary>
    /// <param name="dataSource">The database holding the outbox.</param>
    /// <param name="time">The clock for sent_at and delivered_at.</param>
    /// <param name="retry">Retries of a transient conflict (deadlock, lock timeout).</param>
    /// <param name="asynchronousCommit">Commit without waiting for the WAL flush (see the class remarks).</param>
    /// <param name="outcomes">The batch's outcomes, at most one per notification.</param>
    /// <param name="logger">Logs a retry after a lost connection; none when null.</param>
    /// <remarks>Not cancellable: a delivery that happened is recorded, or it would be delivered again. A lost
    /// connection is retried on a fresh one (the statement is idempotent, see <c>already</c>); any other failure
    /// writes nothing and throws, and the batch's rows are delivered again after their claim expires.</remarks>
    public static Task<HashSet<Guid>> RecordAsync(NpgsqlDataSource dataSource, TimeProvider time, RetryOptions retry,
        bool asynchronousCommit, IReadOnlyList<DeliveryOutcome> outcomes, ILogger? logger = null)
    {
        var channels = outcomes.SelectMany(o => o.Channels.Select(c => (o.Id, c.Channel, c.Outcome, c.Error))).ToList();
        object?[] values =
        [
            outcomes.Select(o => o.Id).ToArray(), outcomes.Select(o => o.Attempts).ToArray(), outcomes.Select(o => o.Status.ToDatabase()).ToArray(),
            outcomes.Select(o => o.NextAttemptAt).ToArray(), outcomes.Select(o => o.LastError).ToArray(), time.GetUtcNow(),
            channels.Select(c => c.Id).ToArray(), channels.Select(c => c.Channel).ToArray(), channels.Select(c => c.Outcome).ToArray(),
            channels.Select(c => c.Error).ToArray(), outcomes.Select(o => o.IsRelease).ToArray(),
        ];
        return Transactions.ReadAgainOnLostConnectionAsync(dataSource, () => Transactions.RunOneTripAsync(dataSource, null, retry, RecordSql,
            parameters =>
            {
                foreach (var value in values) parameters.Add(new NpgsqlParameter { Value = value });
            },
            async (reader, token) =>
            {
                var recorded = new HashSet<Guid>(outcomes.Count);
                while (await reader.ReadAsync(token)) recorded.Add(reader.GetGuid(0));
                return recorded;
            }, CancellationToken.None, asynchronousCommit: asynchronousCommit, logger: logger), logger, CancellationToken.None);
    }
}
