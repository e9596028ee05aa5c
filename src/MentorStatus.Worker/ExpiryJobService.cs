using Microsoft.Extensions.Options;

namespace MentorStatus.Worker;

/// <summary>
/// Runs the certification-expiry job at each occurrence of Worker:ExpirySchedule. Several workers may run at once:
/// the job's skip-locked batches pause each mentor once. On shutdown the batch in flight commits, then the run
/// stops (recorded as failed: cancelled) and the next run finishes the work.
/// </summary>
internal sealed class ExpiryJobService(
    CertificationExpiryJob job, IOptions<WorkerOptions> options, TimeProvider time, IHostApplicationLifetime lifetime,
    ILogger<ExpiryJobService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken serviceStopping)
    {
        // Stop as soon as the host starts shutting down, not only when this service's turn to stop comes.
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(serviceStopping, lifetime.ApplicationStopping);
        var stoppingToken = linked.Token;
        var settings = options.Value;
        var schedule = new ExpirySchedule(settings.ExpirySchedule, settings.TimeZone);
        if (settings.RunOnStart) await RunOnceAsync(stoppingToken);
        while (!stoppingToken.IsCancellationRequested)
        {
            if (schedule.Next(time.GetUtcNow()) is not { } next) return;
            logger.NextRun(next, settings.ExpirySchedule, settings.TimeZone);
            var wait = next - time.GetUtcNow();
            try
            {
                if (wait > TimeSpan.Zero) await Task.Delay(wait, time, stoppingToken);
            }
            catch (OperationCanceledException) { return; }
            await RunOnceAsync(stoppingToken);
        }
    }

    private async Task RunOnceAsync(CancellationToken stoppingToken)
    {
        try
        {
            // Statements get no token, so a batch is never cut off halfway; the stop is checked after each batch.
            await job.RunAsync(progress: new StopBetweenBatches(stoppingToken), ct: CancellationToken.None);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            logger.JobStoppedBetweenBatches();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.JobFailed(e); // the host keeps running: the next occurrence retries
        }
    }

    /// <summary>Reported after each committed batch: throws when the host is stopping, which ends the run there.</summary>
    private sealed class StopBetweenBatches(CancellationToken stoppingToken) : IProgress<JobProgress>
    {
        public void Report(JobProgress value) => stoppingToken.ThrowIfCancellationRequested();
    }
}
