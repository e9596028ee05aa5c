using Npgsql;

namespace MentorStatus.Notifications;

/// <summary>One channel's outcome for one notification (coordinator_notification_deliveries).</summary>
public sealed record ChannelDelivery(string Channel, string Outcome, int Attempts, string? LastError, DateTimeOffset? DeliveredAt);

/// <summary>An outbox row as an operator sees it: the stored status, and "retrying" for a pending row that has failed before.</summary>
public sealed record OutboxEntry(
    Guid Id, Guid JobRunId, Guid CoordinatorUserId, DeliveryStatus Status, int Attempts, int Mentors, bool FellBackToOrganisation,
    DateTimeOffset NextAttemptAt, DateTimeOffset? SentAt, string? LastError, DateTimeOffset CreatedAt, IReadOnlyList<ChannelDelivery> Channels);

/// <summary>Thrown by <see cref="NotificationOutbox.RetryAsync"/> for an id that is not in the outbox or cannot be retried.</summary>
public sealed class NotificationNotRetryableException(string message) : MentorStatusException(message);

/// <summary>
/// The operator's view of the outbox: list notifications by status and run, and requeue given-up ones
/// (`notifications list`, `notifications retry`). Requeueing resets the attempts, keeps the last error
/// for the record, and reopens only the channels that failed: channels that delivered stay delivered.
/// </summary>
public sealed class NotificationOutbox(NpgsqlDataSource dataSource)
{
    /// <summary>Statuses an operator filters by: the stored ones plus retrying (pending after a failure).</summary>
    public static IReadOnlyList<string> Statuses { get; } = Enum.GetValues<DeliveryStatus>().Select(s => s.ToDatabase()).ToArray();

    private const string ListSql = """
        select n.id, n.job_run_id, n.coordinator_user_id,
               case when n.status = 'pending' and n.attempts > 0 then 'retrying' else n.status end,
               n.attempts, cardinality(n.mentor_ids), n.fell_back_to_organisation, n.next_attempt_at, n.sent_at, n.last_error, n.created_at,
               coalesce((select array_agg(d.channel || ' ' || d.outcome || ' ' || d.attempts order by d.channel)
                         from public.coordinator_notification_deliveries d where d.notification_id = n.id), '{}'),
               coalesce((select array_agg(coalesce(d.last_error, '') order by d.channel)
                         from public.coordinator_notification_deliveries d where d.notification_id = n.id), '{}'),
               coalesce((select array_agg(coalesce(d.delivered_at, '-infinity') order by d.channel)
                         from public.coordinator_notification_deliveries d where d.notification_id = n.id), '{}')
        from public.coordinator_notifications n
        where ($1::text is null
               or ($1 = 'retrying' and n.status = 'pending' and n.attempts > 0)
               or ($1 = 'pending' and n.status = 'pending' and n.attempts = 0)
               or ($1 not in ('pending', 'retrying') and n.status = $1))
          and ($2::uuid is null or n.job_run_id = $2)
        order by n.created_at desc, n.id
        limit $3
        """;

    private const string RetrySql = """
        with requeued as (
            update public.coordinator_notifications
            set status = 'pending', attempts = 0, next_attempt_at = now(), updated_at = now()
            where status = 'failed' and ($1::uuid is null or id = $1)
            returning id
        ),
        reopened as (
            update public.coordinator_notification_deliveries d
            set outcome = 'retrying', updated_at = now()
            where d.notification_id in (select id from requeued) and d.outcome = 'failed'
        )
        select id from requeued order by id
        """;

    private const string StatusOfSql = "select status from public.coordinator_notifications where id = $1";

    /// <summary>Outbox rows, newest first, each with its per-channel deliveries.</summary>
    /// <param name="status">Only rows with this status (one of <see cref="Statuses"/>); null for all.</param>
    /// <param name="jobRunId">Only rows of this job run; null for all.</param>
    /// <param name="limit">Most rows returned.</param>
    /// <param name="ct">Cancels the query.</param>
    /// <returns>The rows.</returns>
    /// <exception cref="ArgumentException">An unknown status.</exception>
    public async Task<IReadOnlyList<OutboxEntry>> ListAsync(string? status = null, Guid? jobRunId = null, int limit = 100, CancellationToken ct = default)
    {
        if (status is not null && !Statuses.Contains(status))
            throw new ArgumentException($"unknown status \"{status}\"; use one of {string.Join(", ", Statuses)}.");
        await using var command = dataSource.CreateCommand(ListSql);
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)status ?? DBNull.Value, DataTypeName = "text" });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)jobRunId ?? DBNull.Value, DataTypeName = "uuid" });
        command.Parameters.Add(new NpgsqlParameter { Value = limit });
        await using var r = await command.ExecuteReaderAsync(ct);
        var list = new List<OutboxEntry>();
        while (await r.ReadAsync(ct))
        {
            var channels = r.GetFieldValue<string[]>(11);
            var errors = r.GetFieldValue<string[]>(12);
            var deliveredAt = r.GetFieldValue<DateTime[]>(13);
            var deliveries = channels.Select((c, i) =>
            {
                var parts = c.Split(' ');
                return new ChannelDelivery(parts[0], parts[1], int.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture),
                    errors[i].Length == 0 ? null : errors[i],
                    deliveredAt[i] == DateTime.MinValue ? null : new DateTimeOffset(DateTime.SpecifyKind(deliveredAt[i], DateTimeKind.Utc)));
            }).ToList();
            list.Add(new OutboxEntry(r.GetGuid(0), r.GetGuid(1), r.GetGuid(2), DeliveryStatuses.Parse(r.GetString(3)), r.GetInt32(4), r.GetInt32(5), r.GetBoolean(6),
                r.GetFieldValue<DateTimeOffset>(7), r.IsDBNull(8) ? null : r.GetFieldValue<DateTimeOffset>(8), r.IsDBNull(9) ? null : r.GetString(9),
                r.GetFieldValue<DateTimeOffset>(10), deliveries));
        }
        return list;
    }

    /// <summary>Requeues one failed notification (id) or every failed one (null); returns the ids requeued.</summary>
    public async Task<IReadOnlyList<Guid>> RetryAsync(Guid? id, CancellationToken ct = default)
    {
        var requeued = new List<Guid>();
        await using (var command = dataSource.CreateCommand(RetrySql))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = (object?)id ?? DBNull.Value, DataTypeName = "uuid" });
            await using var r = await command.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct)) requeued.Add(r.GetGuid(0));
        }
        if (id is { } one && requeued.Count == 0)
        {
            await using var status = dataSource.CreateCommand(StatusOfSql);
            status.Parameters.Add(new NpgsqlParameter { Value = one });
            throw await status.ExecuteScalarAsync(ct) switch
            {
                null => new NotificationNotRetryableException($"notification {one} is not in the outbox; `notifications list` shows the ids."),
                string s when DeliveryStatuses.Parse(s) == DeliveryStatus.Sent => new NotificationNotRetryableException($"notification {one} was already sent; nothing to retry."),
                var s => new NotificationNotRetryableException($"notification {one} is {s}, not failed: the dispatcher still tries it; only failed ones are requeued."),
            };
        }
        return requeued;
    }
}
