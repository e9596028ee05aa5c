namespace MentorStatus.Notifications;

/// <summary>Adapts a plain <see cref="INotificationSender"/> (throws on failure) to a channel: returning = delivered, throwing = retry.</summary>
public sealed class SenderChannel(INotificationSender sender, string name = "sender") : INotificationChannel
{
    public string Name => name;

    public async Task<ChannelResult> DeliverAsync(NotificationMessage message, CancellationToken ct)
    {
        await sender.SendAsync(message.Notification, ct);
        return ChannelResult.Delivered;
    }
}
