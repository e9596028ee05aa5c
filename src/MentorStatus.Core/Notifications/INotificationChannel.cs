namespace MentorStatus.Notifications;

/// <summary>
/// A way to reach a coordinator (inbox, email, webhook, console). The dispatcher calls each configured
/// channel once per notification attempt and records what it answered; an exception counts as a
/// transient failure (<see cref="ChannelResult.Retry"/>).
/// </summary>
public interface INotificationChannel
{
    /// <summary>Stable lower-case name, recorded per notification (coordinator_notification_deliveries.channel).</summary>
    string Name { get; }

    /// <summary>Delivers one message. Must use <see cref="NotificationMessage.IdempotencyKey"/> so a receiver can drop a redelivery.</summary>
    Task<ChannelResult> DeliverAsync(NotificationMessage message, CancellationToken ct);
}

/// <summary>What a channel did with one message.</summary>
public enum ChannelOutcome
{
    /// <summary>The channel accepted the message (2xx, SMTP 250, row written).</summary>
    Delivered,
    /// <summary>The coordinator cannot be reached on this channel (email: no address). Final; not an error of the channel.</summary>
    NoAddress,
    /// <summary>A transient failure: try again after the backoff.</summary>
    Retry,
    /// <summary>A permanent refusal (webhook 4xx other than 408/429, SMTP 5xx): trying again would not help.</summary>
    GiveUp,
}

/// <summary>What a channel did with one message, with the error text for anything but delivered.</summary>
/// <param name="Outcome">What happened.</param>
/// <param name="Error">Why it was not delivered (recorded as the delivery's last error); null when delivered.</param>
public sealed record ChannelResult(ChannelOutcome Outcome, string? Error = null)
{
    /// <summary>The message was delivered.</summary>
    public static ChannelResult Delivered { get; } = new(ChannelOutcome.Delivered);
    /// <summary>The coordinator cannot be reached on this channel; final.</summary>
    public static ChannelResult NoAddress(string why) => new(ChannelOutcome.NoAddress, why);
    /// <summary>A transient failure; the dispatcher tries again after the backoff, until MaxAttempts.</summary>
    public static ChannelResult Retry(string error) => new(ChannelOutcome.Retry, error);
    /// <summary>A permanent refusal; the dispatcher does not try this channel again.</summary>
    public static ChannelResult GiveUp(string error) => new(ChannelOutcome.GiveUp, error);
}
