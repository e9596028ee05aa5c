using MentorStatus.Database;
using MentorStatus.Database.Migrations;
using MentorStatus.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Npgsql;

namespace MentorStatus.Health;

/// <summary>Every migration of the project is applied, none has changed since (drift), none applied is unknown here.</summary>
internal sealed class MigrationsCheck(NpgsqlDataSource dataSource, IOptions<MentorStatusOptions> options) : IHealthCheck
{
    public const string Name = "mentorstatus-migrations";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        ProjectLayout layout;
        try
        {
            layout = ProjectLayout.Find(options.Value.Health.ProjectDirectory ?? AppContext.BaseDirectory);
        }
        catch (DirectoryNotFoundException e)
        {
            return HealthCheckResult.Unhealthy(
                $"{e.Message} Ship supabase/ with the application or set MentorStatus:Health:ProjectDirectory.");
        }
        try
        {
            var plan = await new MigrationRunner(dataSource, new MigrationSource(layout)).PlanAsync(cancellationToken);
            var pending = plan.Pending.Select(f => f.Version).ToList();
            var data = new Dictionary<string, object>
            {
                ["pending"] = pending, ["drifted"] = plan.Drifted, ["unknown_applied"] = plan.UnknownApplied,
            };
            var problems = new List<string>();
            if (pending.Count > 0) problems.Add($"{pending.Count} pending ({string.Join(", ", pending)}): run `mentorstatus db up`");
            if (plan.Drifted.Count > 0) problems.Add($"drifted since applied: {string.Join(", ", plan.Drifted)}: restore the files or `db repair`");
            if (plan.UnknownApplied.Count > 0) problems.Add($"applied but not in this build: {string.Join(", ", plan.UnknownApplied)}: deploy the matching code");
            return problems.Count == 0
                ? HealthCheckResult.Healthy($"{plan.Applied.Count} migration(s) applied, none pending or drifted", data)
                : HealthCheckResult.Unhealthy("migrations: " + string.Join("; ", problems), data: data);
        }
        catch (NpgsqlException e)
        {
            return HealthCheckResult.Unhealthy($"cannot read the migration journal: {e.Message}", e);
        }
    }
}
