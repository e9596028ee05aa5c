using MentorStatus;
using MentorStatus.Database.Migrations;
using MentorStatus.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

// The conventional namespace of DI extensions, so `app.Services.MigrateMentorStatusAsync()` needs no extra using.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Start-up calls on the application's services.</summary>
public static class MentorStatusServiceProviderExtensions
{
    /// <summary>
    /// Applies the library's pending migrations to MentorStatus:ConnectionString (see <see cref="MentorStatusMigrations.ApplyAsync"/>):
    /// <c>await app.Services.MigrateMentorStatusAsync();</c> before <c>app.Run()</c>. Logs through the application's logging.
    /// </summary>
    /// <param name="services">The built service provider (after AddMentorStatus).</param>
    /// <param name="ct">Cancels the migration.</param>
    /// <returns>The files applied, in order.</returns>
    public static Task<IReadOnlyList<MigrationResult>> MigrateMentorStatusAsync(this IServiceProvider services, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.GetRequiredService<IOptions<MentorStatusOptions>>().Value; // validated: fails naming the key
        return MigrateAsync(services, options.ConnectionString, ct);
    }

    private static async Task<IReadOnlyList<MigrationResult>> MigrateAsync(IServiceProvider services, string connectionString, CancellationToken ct)
    {
        var applied = await MentorStatusMigrations.ApplyAsync(connectionString, services.GetService<ILoggerFactory>(), ct);
        // The library's data source may have loaded the database's types before the migrations made mentor_status.
        if (applied.Count > 0) await MentorStatusServiceCollectionExtensions.DataSource(services).ReloadTypesAsync(ct);
        return applied;
    }
}
