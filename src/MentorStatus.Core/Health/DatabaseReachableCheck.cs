using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace MentorStatus.Health;

/// <summary>The database answers a trivial query.</summary>
internal sealed class DatabaseReachableCheck(NpgsqlDataSource dataSource) : IHealthCheck
{
    public const string Name = "mentorstatus-database";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var command = dataSource.CreateCommand("select 1");
            await command.ExecuteScalarAsync(cancellationToken);
            return HealthCheckResult.Healthy("the database answers");
        }
        catch (NpgsqlException e)
        {
            return HealthCheckResult.Unhealthy($"cannot reach the database ({e.Message}); check MentorStatus:ConnectionString and that the server runs.", e);
        }
    }
}
