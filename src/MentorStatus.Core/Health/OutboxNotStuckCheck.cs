using MentorStatus.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Npgsql;

namespace MentorStatus.Health;

/// <summary>
/// The oldest due notification (of a finished run) has waited less than Health:OutboxStuckAfter. Longer means
/// no dispatcher is running, or every delivery fails.
/// </summary>
internal sealed class OutboxNotStuckCheck(NpgsqlDataSource dataSource, IOptions<MentorStatusOptions> options) : IHealthCheck
{
    public const string Name = "mentorstatus-outbox";

    // The same rows the dispatcher claims: pending or sending, due, of a run that is no longer running.
    private const string OldestDueSql = """
        select count(*)::integer, extract(epoch from clock_timestamp() - min(n.next_attempt_at))::float8
        from public.coordinator_notifications n
        join public.status_job_runs r on r.id = n.job_run_id
        where n.status in ('pending', 'sending')
          and n.next_attempt_at <= clock_timestamp()
          and r.outcome <> 'running'
        """;

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var threshold = options.Value.Health.OutboxStuckAfter;
        try
        {
            await using var command = dataSource.CreateCommand(OldestDueSql);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            var due = reader.GetInt32(0);
            var oldest = reader.IsDBNull(1) ? TimeSpan.Zero : TimeSpan.FromSeconds(reader.GetDouble(1));
            var data = new Dictionary<string, object> { ["due"] = due, ["oldest_due_seconds"] = Math.Round(oldest.TotalSeconds) };
            return oldest <= threshold
                ? HealthCheckResult.Healthy($"{due} notification(s) due, the oldest for {oldest:hh\\:mm\\:ss}", data)
                : HealthCheckResult.Unhealthy(
                    $"the outbox is stuck: {due} notification(s) due, the oldest for {oldest:d\\.hh\\:mm\\:ss} (limit {threshold}); " +
                    "run the dispatcher (`mentorstatus notifications dispatch` or the worker) and read its log for delivery errors.",
                    data: data);
        }
        catch (NpgsqlException e)
        {
            return HealthCheckResult.Unhealthy($"cannot read the outbox: {e.Message}", e);
        }
    }
}
