using Microsoft.Extensions.Options;
using Npgsql;

namespace MentorStatus.Worker;

/// <summary>At start: the database's enum, mapping and reason codes match this build, or the host does not start.</summary>
internal sealed class SchemaVerification([FromKeyedServices(MentorStatusDataSource.ServiceKey)] NpgsqlDataSource dataSource, IOptions<WorkerOptions> options, ILogger<SchemaVerification> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!options.Value.VerifySchemaOnStart) return;
        await MentorStatusDataSource.VerifyAsync(dataSource, cancellationToken);
        logger.SchemaVerified();
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
