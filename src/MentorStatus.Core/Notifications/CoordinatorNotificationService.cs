using MentorStatus.Notifications;
using Npgsql;

namespace MentorStatus;

/// <summary>Who is told about which paused mentors: one entry per coordinator.</summary>
public sealed record NotificationRecipient(Guid CoordinatorUserId, IReadOnlyList<Guid> MentorIds, IReadOnlyList<Guid> FallbackMentorIds)
{
    /// <summary>True when some mentors had no chapter coordinator and the organisation's were told.</summary>
    public bool FellBackToOrganisation => FallbackMentorIds.Count > 0;
}

/// <summary>A row of the public.coordinator_notifications outbox.</summary>
public sealed record CoordinatorNotification(
    Guid Id, Guid JobRunId, Guid CoordinatorUserId, IReadOnlyList<Guid> MentorIds, IReadOnlyList<Guid> FallbackMentorIds,
    bool FellBackToOrganisation, DeliveryStatus Status, int Attempts, DateTimeOffset NextAttemptAt, DateTimeOffset? SentAt, string? LastError)
{
    /// <summary>Hand this to the channel so that a redelivery after a crash can be dropped there.</summary>
    public Guid IdempotencyKey => Id;
}

/// <summary>
/// Resolves coordinators for paused mentors with mentor_status_private.notification_recipients — the
/// same function the job's batch statement uses, so a preview and the real outbox cannot disagree:
/// every active coordinator of every chapter of the mentor, de-duplicated per coordinator; where no
/// chapter of the mentor has one, every active coordinator of the mentor's organisation (recorded as a
/// fallback). Also reads the outbox.
/// </summary>
public sealed class CoordinatorNotificationService(NpgsqlDataSource dataSource, RetryOptions? retry = null)
{
    private const string ResolveSql = """
        select coordinator_user_id,
               array_agg(mentor_id order by mentor_id),
               coalesce(array_agg(mentor_id order by mentor_id) filter (where fell_back_to_organisation), '{}')
        from mentor_status_private.notification_recipients($1)
        group by coordinator_user_id
        order by coordinator_user_id
        """;

    internal const string NotificationColumns =
        "id, job_run_id, coordinator_user_id, mentor_ids, fallback_mentor_ids, fell_back_to_organisation, status, attempts, next_attempt_at, sent_at, last_error";

    private const string ForRunSql = $"""
        select {NotificationColumns}
        from public.coordinator_notifications
        where job_run_id = $1
        order by coordinator_user_id
        """;

    private readonly RetryOptions _retry = retry ?? RetryOptions.Default;

    /// <summary>Who would be told about these mentors, one entry per coordinator.</summary>
    /// <param name="mentorIds">The paused (or to be paused) mentors.</param>
    /// <param name="ct">Cancels the query.</param>
    public Task<IReadOnlyList<NotificationRecipient>> ResolveAsync(IReadOnlyCollection<Guid> mentorIds, CancellationToken ct = default) =>
        Transactions.RunAsync<IReadOnlyList<NotificationRecipient>>(dataSource, null, _retry, async (c, token) =>
        {
            await using var command = new NpgsqlCommand(ResolveSql, c) { Parameters = { new() { Value = mentorIds.Distinct().ToArray() } } };
            await using var reader = await command.ExecuteReaderAsync(token);
            var list = new List<NotificationRecipient>();
            while (await reader.ReadAsync(token))
                list.Add(new NotificationRecipient(reader.GetGuid(0), reader.GetFieldValue<Guid[]>(1), reader.GetFieldValue<Guid[]>(2)));
            return list;
        }, ct);

    /// <summary>The outbox rows of one job run, by coordinator.</summary>
    public Task<IReadOnlyList<CoordinatorNotification>> GetForRunAsync(Guid jobRunId, CancellationToken ct = default) =>
        Transactions.RunAsync<IReadOnlyList<CoordinatorNotification>>(dataSource, null, _retry, async (c, token) =>
        {
            await using var command = new NpgsqlCommand(ForRunSql, c) { Parameters = { new() { Value = jobRunId } } };
            return await ReadAsync(command, token);
        }, ct);

    internal static async Task<List<CoordinatorNotification>> ReadAsync(NpgsqlCommand command, CancellationToken ct)
    {
        await using var r = await command.ExecuteReaderAsync(ct);
        return await ReadRowsAsync(r, ct);
    }

    /// <summary>The rows of the current result, selected as <see cref="NotificationColumns"/>.</summary>
    internal static async Task<List<CoordinatorNotification>> ReadRowsAsync(NpgsqlDataReader r, CancellationToken ct)
    {
        var list = new List<CoordinatorNotification>();
        while (await r.ReadAsync(ct))
            list.Add(new CoordinatorNotification(r.GetGuid(0), r.GetGuid(1), r.GetGuid(2), r.GetFieldValue<Guid[]>(3), r.GetFieldValue<Guid[]>(4),
                r.GetBoolean(5), DeliveryStatuses.Parse(r.GetString(6)), r.GetInt32(7), r.GetFieldValue<DateTimeOffset>(8),
                r.IsDBNull(9) ? null : r.GetFieldValue<DateTimeOffset>(9), r.IsDBNull(10) ? null : r.GetString(10)));
        return list;
    }
}
