namespace MentorStatus.Notifications;

/// <summary>One paused mentor as a coordinator is told about it: name, the mentor's chapters this coordinator coordinates, and the reason code (never free text).</summary>
public sealed record NotifiedMentor(
    Guid MentorId, string DisplayName, string Chapters, string ReasonCode, string ReasonDescription, bool ViaOrganisationFallback);

/// <summary>
/// Everything a channel needs to tell one coordinator about one notification (one job run): read from
/// the outbox, auth.users (email), the mentors, their organisation (language) and the reason codes.
/// </summary>
public sealed record NotificationMessage(
    CoordinatorNotification Notification,
    string? Email,
    string Language,
    string OrganisationName,
    IReadOnlyList<NotifiedMentor> Mentors)
{
    /// <summary>The notification id.</summary>
    public Guid Id => Notification.Id;
    /// <summary>The notification id: the same on every attempt, so a receiver can drop a redelivery.</summary>
    public Guid IdempotencyKey => Notification.Id;
    /// <summary>The coordinator to tell.</summary>
    public Guid CoordinatorUserId => Notification.CoordinatorUserId;
    /// <summary>The job run that paused the mentors.</summary>
    public Guid JobRunId => Notification.JobRunId;
}
