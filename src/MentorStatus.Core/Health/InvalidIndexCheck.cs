using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace MentorStatus.Health;

/// <summary>No INVALID index (left by a failed CREATE INDEX CONCURRENTLY: written to, never read).</summary>
internal sealed class InvalidIndexCheck(NpgsqlDataSource dataSource) : IHealthCheck
{
    public const string Name = "mentorstatus-indexes";

    private const string InvalidIndexesSql = """
        select n.nspname || '.' || c.relname
        from pg_catalog.pg_index i
        join pg_catalog.pg_class c on c.oid = i.indexrelid
        join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        where not i.indisvalid
          and n.nspname not in ('pg_catalog', 'information_schema')
        order by 1
        """;

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var command = dataSource.CreateCommand(InvalidIndexesSql);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            var invalid = new List<string>();
            while (await reader.ReadAsync(cancellationToken)) invalid.Add(reader.GetString(0));
            return invalid.Count == 0
                ? HealthCheckResult.Healthy("no INVALID index")
                : HealthCheckResult.Unhealthy(
                    $"INVALID index(es): {string.Join(", ", invalid)}: drop each with `drop index concurrently` and build it again " +
                    "(`mentorstatus db up` does that for the project's own index migrations).",
                    data: new Dictionary<string, object> { ["invalid_indexes"] = invalid });
        }
        catch (NpgsqlException e)
        {
            return HealthCheckResult.Unhealthy($"cannot read pg_index: {e.Message}", e);
        }
    }
}
