namespace MentorStatus.Notifications;

/// <summary>Adapts a plain <see cref="INotificationSender"/> (throws on failure) to a channel: returning = delivered, throwing = retry.</summary>
public sealed class SenderChannel(INotificationSender sender, string name = "sender") : INotificationChannel
{
    /// <summary>The name given to the constructor ("sender" by default).</summary>
    public string Name => name;

    /// <summary>Calls the sender; delivered when it returns. An exception propagates, and the dispatcher counts it as a retry.</summary>
    public async Task<ChannelResult> DeliverAsync(NotificationMessage message, CancellationToken ct)
    {
        await sender.SendAsync(message.Notification, ct);
        return ChannelResult.Delivered;
    }
}
