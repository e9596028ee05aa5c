using Npgsql;

namespace MentorStatus.Notifications;

/// <summary>
/// The in-app channel: a row in public.coordinator_inbox that the app reads through PostgREST (RLS: own
/// rows) and receives live through Supabase Realtime. Keyed by the notification id, so a redelivery
/// after a crash adds nothing. Works on plain PostgreSQL.
/// </summary>
public sealed class InboxChannel(NpgsqlDataSource dataSource) : INotificationChannel
{
    /// <summary>The channel name used in configuration and recorded per delivery.</summary>
    public const string ChannelName = "inbox";

    private const string InsertSql = """
        insert into public.coordinator_inbox (notification_id, user_id, job_run_id, reason, mentor_ids, fallback_mentor_ids)
        values ($1, $2, $3, $4, $5, $6)
        on conflict (notification_id) do nothing
        """;

    /// <summary>Always <see cref="ChannelName"/>.</summary>
    public string Name => ChannelName;

    /// <summary>Inserts the inbox row (nothing when it already exists) and reports delivered.</summary>
    public async Task<ChannelResult> DeliverAsync(NotificationMessage message, CancellationToken ct)
    {
        var n = message.Notification;
        var reason = message.Mentors.Select(m => m.ReasonCode).FirstOrDefault() ?? "certification_expired";
        await using var command = dataSource.CreateCommand(InsertSql);
        command.Parameters.Add(new NpgsqlParameter { Value = n.Id });
        command.Parameters.Add(new NpgsqlParameter { Value = n.CoordinatorUserId });
        command.Parameters.Add(new NpgsqlParameter { Value = n.JobRunId });
        command.Parameters.Add(new NpgsqlParameter { Value = reason });
        command.Parameters.Add(new NpgsqlParameter { Value = n.MentorIds.ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = n.FallbackMentorIds.ToArray() });
        await command.ExecuteNonQueryAsync(ct);
        return ChannelResult.Delivered;
    }
}
