using MentorStatus.Health;
using Microsoft.Extensions.Diagnostics.HealthChecks;

// The conventional namespace of IHealthChecksBuilder extensions.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the mentor-status health checks (AddMentorStatus does it for you).</summary>
public static class MentorStatusHealthChecksBuilderExtensions
{
    /// <summary>Tag on every mentor-status check: <c>MapHealthChecks("/healthz", new() { Predicate = c => c.Tags.Contains("mentorstatus") })</c>.</summary>
    public const string Tag = "mentorstatus";

    /// <summary>
    /// Adds five checks: <c>mentorstatus-database</c> (reachable), <c>mentorstatus-migrations</c> (none pending, drifted or
    /// unknown), <c>mentorstatus-indexes</c> (no INVALID index), <c>mentorstatus-schema</c> (enum, mapping and reason codes in
    /// sync with the code), <c>mentorstatus-outbox</c> (no due notification older than Health:OutboxStuckAfter).
    /// </summary>
    /// <param name="builder">The application's health checks.</param>
    /// <returns>The same builder.</returns>
    public static IHealthChecksBuilder AddMentorStatusChecks(this IHealthChecksBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        string[] tags = [Tag];
        return builder
            .AddCheck<DatabaseReachableCheck>(DatabaseReachableCheck.Name, HealthStatus.Unhealthy, tags)
            .AddCheck<MigrationsCheck>(MigrationsCheck.Name, HealthStatus.Unhealthy, tags)
            .AddCheck<InvalidIndexCheck>(InvalidIndexCheck.Name, HealthStatus.Unhealthy, tags)
            .AddCheck<SchemaInSyncCheck>(SchemaInSyncCheck.Name, HealthStatus.Unhealthy, tags)
            .AddCheck<OutboxNotStuckCheck>(OutboxNotStuckCheck.Name, HealthStatus.Unhealthy, tags);
    }
}
