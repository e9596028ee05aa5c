using MentorStatus.Database;
using MentorStatus.Database.Migrations;
using MentorStatus.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Npgsql;

namespace MentorStatus.Health;

/// <summary>
/// Every migration this build was made for is applied and none has changed since (drift). By default the build's
/// embedded migrations (<see cref="MentorStatusMigrations"/>), where versions applied that are not the library's (the
/// application's own) are reported but healthy; with Health:ProjectDirectory, that project's supabase/migrations, as
/// `db status` reads them, where an applied version with no file is unhealthy too.
/// </summary>
internal sealed class MigrationsCheck(NpgsqlDataSource dataSource, IOptions<MentorStatusOptions> options) : IHealthCheck
{
    public const string Name = "mentorstatus-migrations";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var source = MentorStatusMigrations.Source;
        if (options.Value.Health.ProjectDirectory is { } folder)
        {
            try
            {
                source = new MigrationSource(ProjectLayout.Find(folder));
            }
            catch (DirectoryNotFoundException)
            {
                return HealthCheckResult.Unhealthy(
                    $"MentorStatus:Health:ProjectDirectory is {folder}, and neither it nor a parent folder has supabase/config.toml; " +
                    "set it to the project folder, or remove it to compare with the migrations built into the library.");
            }
        }
        try
        {
            var plan = await new MigrationRunner(dataSource, source).PlanAsync(cancellationToken);
            var pending = plan.Pending.Select(f => f.Version).ToList();
            var data = new Dictionary<string, object>
            {
                ["pending"] = pending, ["drifted"] = plan.Drifted, ["unknown_applied"] = plan.UnknownApplied,
            };
            var problems = new List<string>();
            if (pending.Count > 0)
                problems.Add($"{pending.Count} pending ({string.Join(", ", pending)}): " +
                             (source.IsEmbedded ? "call `await app.Services.MigrateMentorStatusAsync()` at start-up, or run `mentorstatus db up`" : "run `mentorstatus db up`"));
            if (plan.Drifted.Count > 0) problems.Add($"drifted since applied: {string.Join(", ", plan.Drifted)}: restore the files or `db repair`");
            if (!source.IsEmbedded && plan.UnknownApplied.Count > 0)
                problems.Add($"applied but not in this build: {string.Join(", ", plan.UnknownApplied)}: deploy the matching code");
            var others = source.IsEmbedded && plan.UnknownApplied.Count > 0 ? $"; {plan.UnknownApplied.Count} other migration(s) in the journal" : "";
            return problems.Count == 0
                ? HealthCheckResult.Healthy($"{plan.Local.Count - pending.Count} migration(s) applied, none pending or drifted{others}", data)
                : HealthCheckResult.Unhealthy("migrations: " + string.Join("; ", problems), data: data);
        }
        catch (NpgsqlException e)
        {
            return HealthCheckResult.Unhealthy($"cannot read the migration journal: {e.Message}", e);
        }
        catch (MigrationException e)
        {
            return HealthCheckResult.Unhealthy($"cannot read the migrations: {e.Message}", e);
        }
    }
}
