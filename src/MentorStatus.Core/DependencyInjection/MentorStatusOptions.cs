namespace MentorStatus.DependencyInjection;

/// <summary>
/// Settings of the mentor-status library, bound from the "MentorStatus" configuration section
/// (environment: <c>MentorStatus__ConnectionString</c>, <c>MentorStatus__Job__BatchSize</c>, …).
/// Validated when the host starts.
/// </summary>
public sealed class MentorStatusOptions
{
    /// <summary>The conventional configuration section.</summary>
    public const string SectionName = "MentorStatus";

    /// <summary>The database: an Npgsql connection string or a postgresql:// URL as Supabase shows it. Required.</summary>
    public string ConnectionString { get; set; } = "";

    /// <summary>Retries of the repository and the notification service.</summary>
    public RetryOptions Retry { get; set; } = new();

    /// <summary>The certification-expiry job.</summary>
    public CertificationExpiryJobOptions Job { get; set; } = new();

    /// <summary>The notification dispatcher.</summary>
    public NotificationDispatcherOptions Dispatcher { get; set; } = new();

    /// <summary>The health checks.</summary>
    public MentorStatusHealthOptions Health { get; set; } = new();
}

/// <summary>Thresholds and inputs of the mentor-status health checks.</summary>
public sealed class MentorStatusHealthOptions
{
    /// <summary>The outbox counts as stuck when a due notification has waited longer than this (no dispatcher running?).</summary>
    public TimeSpan OutboxStuckAfter { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// The project folder holding supabase/migrations, for the migrations check. Default: found upward from the
    /// application's folder (ship supabase/ beside the app, as the worker does).
    /// </summary>
    public string? ProjectDirectory { get; set; }
}
