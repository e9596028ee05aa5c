namespace MentorStatus.Notifications;

/// <summary>
/// Where a coordinator notification stands in the outbox. Stored as text in public.coordinator_notifications.status
/// (pending, sending, sent, failed; <see cref="DeliveryStatuses.ToDatabase"/>); <see cref="Retrying"/> is only shown,
/// never stored: a pending row that has failed before.
/// </summary>
public enum DeliveryStatus
{
    /// <summary>Due for delivery (never tried, or due again after a failure).</summary>
    Pending,
    /// <summary>As listed for an operator: pending after a failed attempt, will be tried again (stored as pending).</summary>
    Retrying,
    /// <summary>Claimed by a dispatcher now; the claim expires at next_attempt_at.</summary>
    Sending,
    /// <summary>At least one channel delivered it.</summary>
    Sent,
    /// <summary>Given up: no channel delivered it within the attempts allowed; `notifications retry` requeues it.</summary>
    Failed,
}

/// <summary>The database's text for each <see cref="DeliveryStatus"/>, and back.</summary>
public static class DeliveryStatuses
{
    /// <summary>The text as stored and as shown: pending, retrying, sending, sent, failed.</summary>
    public static string ToDatabase(this DeliveryStatus status) => status switch
    {
        DeliveryStatus.Pending => "pending",
        DeliveryStatus.Retrying => "retrying",
        DeliveryStatus.Sending => "sending",
        DeliveryStatus.Sent => "sent",
        DeliveryStatus.Failed => "failed",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "not a delivery status"),
    };

    /// <summary>The status a text of the database stands for.</summary>
    /// <exception cref="SchemaMismatchException">A text this code does not know: the code and the migrations are out of step.</exception>
    public static DeliveryStatus Parse(string text) => text switch
    {
        "pending" => DeliveryStatus.Pending,
        "retrying" => DeliveryStatus.Retrying,
        "sending" => DeliveryStatus.Sending,
        "sent" => DeliveryStatus.Sent,
        "failed" => DeliveryStatus.Failed,
        _ => throw new SchemaMismatchException($"unknown notification status \"{text}\" in the outbox: the code and the migrations are out of step."),
    };
}
