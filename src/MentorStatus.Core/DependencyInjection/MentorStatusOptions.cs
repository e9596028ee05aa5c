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

    /// <summary>
    /// The delivery channels and the dispatcher (section MentorStatus:Notifications, the same keys as the command
    /// line's appsettings.json: Channels, Smtp, Webhook, Dispatcher). No channel configured: the dispatcher cannot be
    /// resolved, and says so.
    /// </summary>
    public MentorStatusNotificationOptions Notifications { get; set; } = new();

    /// <summary>The health checks.</summary>
    public MentorStatusHealthOptions Health { get; set; } = new();

    /// <summary>
    /// Let Npgsql log each statement it runs (category Npgsql.Command, at Information) through the application's
    /// logging. Off by default: an application logging at Information would otherwise get a line per statement.
    /// Npgsql's warnings and errors reach the application's logging either way.
    /// </summary>
    public bool LogStatements { get; set; }
}

/// <summary>Thresholds and inputs of the mentor-status health checks.</summary>
public sealed class MentorStatusHealthOptions
{
    /// <summary>The outbox counts as stuck when a due notification has waited longer than this (no dispatcher running?).</summary>
    public TimeSpan OutboxStuckAfter { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// A project folder whose supabase/migrations the migrations check compares with the database instead of the
    /// migrations built into the library (a team keeping the library's migrations among its own). Default: unset.
    /// </summary>
    public string? ProjectDirectory { get; set; }
}

/// <summary>Which channels deliver coordinator notifications, and their settings.</summary>
public sealed class MentorStatusNotificationOptions
{
    /// <summary>Channel names: inbox, email, webhook (console for local development only).</summary>
    public List<string> Channels { get; set; } = [];

    /// <summary>Settings of the email channel.</summary>
    public MentorStatus.Notifications.SmtpChannelOptions Smtp { get; set; } = new();

    /// <summary>Settings of the webhook channel.</summary>
    public MentorStatus.Notifications.WebhookChannelOptions Webhook { get; set; } = new();

    /// <summary>The dispatcher (MentorStatus:Notifications:Dispatcher, the key the command line reads too).</summary>
    public NotificationDispatcherOptions Dispatcher { get; set; } = new();
}
