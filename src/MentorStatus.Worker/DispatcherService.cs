using Microsoft.Extensions.Options;

namespace MentorStatus.Worker;

/// <summary>Sends due coordinator notifications every Worker:DispatchInterval (claims make several workers safe).</summary>
internal sealed class DispatcherService(
    NotificationDispatcher dispatcher, IOptions<WorkerOptions> options, TimeProvider time, ILogger<DispatcherService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = options.Value.DispatchInterval;
        using var timer = new PeriodicTimer(interval, time);
        do
        {
            try
            {
                await dispatcher.DispatchAsync(ct: stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                logger.DispatchFailed(e, interval);
            }
        }
        while (await WaitAsync(timer, stoppingToken));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken ct)
    {
        try { return await timer.WaitForNextTickAsync(ct); }
        catch (OperationCanceledException) { return false; }
    }
}
