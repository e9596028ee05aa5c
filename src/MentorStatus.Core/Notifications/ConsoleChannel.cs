namespace MentorStatus.Notifications;

/// <summary>
/// Local development only: one line per notification on a TextWriter (stderr in the command line).
/// Reaches nobody; chosen only by an explicit <c>--channel console</c>, and every line says so.
/// Ids only, no personal data.
/// </summary>
public sealed class ConsoleChannel(TextWriter writer) : INotificationChannel
{
    /// <summary>The channel name used in configuration and recorded per delivery.</summary>
    public const string ChannelName = "console";

    /// <summary>Always <see cref="ChannelName"/>.</summary>
    public string Name => ChannelName;

    /// <summary>Writes one line (ids and counts only) and reports delivered.</summary>
    public async Task<ChannelResult> DeliverAsync(NotificationMessage message, CancellationToken ct)
    {
        var fallback = message.Notification.FallbackMentorIds.Count;
        await writer.WriteLineAsync((
            $"[console channel, development only: not delivered to anyone] coordinator {message.CoordinatorUserId}: " +
            $"{message.Mentors.Count} mentor(s) paused by job run {message.JobRunId} [{string.Join(", ", message.Notification.MentorIds)}]" +
            $"{(fallback > 0 ? $" ({fallback} via organisation fallback)" : "")} idempotency-key={message.IdempotencyKey}").AsMemory(), ct);
        return ChannelResult.Delivered;
    }
}
