namespace MentorStatus.Rehearsal;

/// <summary>
/// How the rehearsal stops work it runs beside its main line (the source's schema read and dump tools, the early lint,
/// the activity monitor, the synthetic clients): cancel the work's own token, then wait for it to end, so that it never
/// outlives what it uses (the throwaway cluster, the copy's folder, a connection).
/// </summary>
internal static class BackgroundTasks
{
    /// <summary>Cancels <paramref name="stop"/> and waits for <paramref name="task"/>; its error, if it failed, is thrown.</summary>
    public static async Task CancelAndAwaitAsync(CancellationTokenSource stop, Task task)
    {
        await stop.CancelAsync();
        await task;
    }

    /// <summary>
    /// Cancels <paramref name="stop"/> and waits for <paramref name="task"/>, dropping its error: for a stop on the way
    /// out of a failure (that failure is the one reported) or of work whose result is not used.
    /// </summary>
    public static async Task CancelAndAwaitQuietlyAsync(CancellationTokenSource stop, Task task)
    {
        try
        {
            await CancelAndAwaitAsync(stop, task);
        }
        catch (Exception)
        {
            // the first failure is the one reported
        }
    }
}
