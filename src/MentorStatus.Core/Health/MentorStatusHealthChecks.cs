using MentorStatus.DependencyInjection;
using MentorStatus.Health;
using Microsoft.Extensions.Options;
using Npgsql;
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
        // Each check reads through the library's own (keyed) data source, never an application's NpgsqlDataSource.
        return builder
            .Add(Check(DatabaseReachableCheck.Name, p => new DatabaseReachableCheck(Db(p)), tags))
            .Add(Check(MigrationsCheck.Name, p => new MigrationsCheck(Db(p), p.GetRequiredService<IOptions<MentorStatusOptions>>()), tags))
            .Add(Check(InvalidIndexCheck.Name, p => new InvalidIndexCheck(Db(p)), tags))
            .Add(Check(SchemaInSyncCheck.Name, p => new SchemaInSyncCheck(Db(p)), tags))
            .Add(Check(OutboxNotStuckCheck.Name, p => new OutboxNotStuckCheck(Db(p), p.GetRequiredService<IOptions<MentorStatusOptions>>()), tags));
    }

    private static HealthCheckRegistration Check(string name, Func<IServiceProvider, IHealthCheck> create, string[] tags) =>
        new(name, create, HealthStatus.Unhealthy, tags);

    private static NpgsqlDataSource Db(IServiceProvider provider) => MentorStatusServiceCollectionExtensions.DataSource(provider);
}
