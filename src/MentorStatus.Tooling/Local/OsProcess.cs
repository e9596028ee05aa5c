using System.Diagnostics;

namespace MentorStatus.Tooling.Local;

/// <summary>Runs the PostgreSQL server tools, as the <c>postgres</c> OS user when we are root
/// (initdb and pg_ctl refuse to run as root).</summary>
internal static class OsProcess
{
    public static bool IsRoot => Environment.UserName == "root" || geteuid() == 0;

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern uint geteuid();

    public sealed record Result(int ExitCode, string Output);

    /// <summary>Environment variable that sets the server tools' time limit, in seconds (initdb, pg_ctl, pg_basebackup…).</summary>
    public const string TimeLimitVariable = "MENTORSTATUS_TOOL_TIME_LIMIT";

    /// <summary>
    /// The time limit of a tool run without one of its own: <see cref="TimeLimitVariable"/> when set, else 2 minutes
    /// (initdb and pg_ctl take seconds; a limit keeps a hung tool from hanging the CLI or the tests for ever).
    /// A value that is no positive number of seconds is refused (a failed operation, exit 1) with what to write instead.
    /// </summary>
    public static TimeSpan DefaultTimeLimit(string? configured)
    {
        if (string.IsNullOrWhiteSpace(configured)) return TimeSpan.FromMinutes(2);
        return double.TryParse(configured, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var seconds)
               && seconds is > 0 and <= 86_400
            ? TimeSpan.FromSeconds(seconds)
            : throw new LocalDatabaseException(
                $"{TimeLimitVariable} must be a number of seconds from 1 to 86400 (got \"{configured}\"): e.g. {TimeLimitVariable}=600, or unset it for 2 minutes.");
    }

    /// <param name="timeout">The tool's own time limit; without one, <see cref="DefaultTimeLimit"/>.</param>
    /// <param name="environment">Variables for the tool (PGPASSFILE…): a password never goes on a command line, which every OS user can read.</param>
    public static async Task<Result> RunAsync(string program, IEnumerable<string> arguments, bool asPostgresUser, CancellationToken ct, TimeSpan? timeout = null,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var allowed = timeout ?? DefaultTimeLimit(Environment.GetEnvironmentVariable(TimeLimitVariable));
        var info = new ProcessStartInfo
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (asPostgresUser && IsRoot)
        {
            info.FileName = "runuser";
            foreach (var a in new[] { "-u", "postgres", "--", program }) info.ArgumentList.Add(a);
        }
        else info.FileName = program;
        foreach (var a in arguments) info.ArgumentList.Add(a);
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) info.Environment[k] = v;

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {program}");
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(allowed);
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            // Our own time limit, not the caller's cancellation: say which tool and what to do (a TimeoutException is
            // reported by the CLI as a failed operation, exit 1, not as an internal error). Only the tool's name:
            // arguments can carry a password file or connection options.
            process.Kill(entireProcessTree: true);
            throw new TimeoutException(
                $"{Path.GetFileName(program)} did not finish within {allowed.TotalSeconds:0.#} s and was stopped. The machine may be " +
                $"overloaded (check the load average) or the disk slow; run the command again when it is quieter, or allow more time with {TimeLimitVariable}=<seconds>.");
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        return new Result(process.ExitCode, ((await stdout) + (await stderr)).Trim());
    }
}
