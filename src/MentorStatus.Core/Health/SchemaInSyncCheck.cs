using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace MentorStatus.Health;

/// <summary>The C# enum, its Npgsql mapping and the reason codes match the database (<see cref="MentorStatusDataSource.VerifyAsync"/>).</summary>
internal sealed class SchemaInSyncCheck(NpgsqlDataSource dataSource) : IHealthCheck
{
    public const string Name = "mentorstatus-schema";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await MentorStatusDataSource.VerifyAsync(dataSource, cancellationToken);
            return HealthCheckResult.Healthy("mentor_status labels, mapping and reason codes match the code");
        }
        catch (SchemaMismatchException e)
        {
            return HealthCheckResult.Unhealthy(e.Message, e);
        }
        catch (NpgsqlException e)
        {
            return HealthCheckResult.Unhealthy($"cannot compare the schema: {e.Message}", e);
        }
    }
}
