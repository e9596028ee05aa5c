using Cronos;
using Microsoft.Extensions.Options;

namespace MentorStatus.Worker;

/// <summary>The "Worker" configuration section.</summary>
public sealed class WorkerOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Worker";

    /// <summary>When the certification-expiry job runs: a five-field cron expression (minute hour day month weekday).</summary>
    public string ExpirySchedule { get; set; } = "0 2 * * *";

    /// <summary>The time zone of <see cref="ExpirySchedule"/> (IANA id); daylight-saving changes are handled by Cronos.</summary>
    public string TimeZone { get; set; } = "Europe/Oslo";

    /// <summary>Also run the job once right after start (catch up after downtime; the job is safe to rerun).</summary>
    public bool RunOnStart { get; set; }

    /// <summary>How often the dispatcher sends due notifications.</summary>
    public TimeSpan DispatchInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Check at start that the database's enum and reason codes match this build (stop if not).</summary>
    public bool VerifySchemaOnStart { get; set; } = true;
}

/// <summary>Refuses a schedule Cronos cannot parse, an unknown time zone or a non-positive interval, naming the key.</summary>
internal sealed class WorkerOptionsValidator : IValidateOptions<WorkerOptions>
{
    public ValidateOptionsResult Validate(string? name, WorkerOptions options)
    {
        var failures = new List<string>();
        try { CronExpression.Parse(options.ExpirySchedule); }
        catch (CronFormatException e) { failures.Add($"Worker:ExpirySchedule \"{options.ExpirySchedule}\" is not a cron expression ({e.Message}); e.g. \"0 2 * * *\" for 02:00 daily."); }
        try { TimeZoneInfo.FindSystemTimeZoneById(options.TimeZone); }
        catch (TimeZoneNotFoundException) { failures.Add($"Worker:TimeZone \"{options.TimeZone}\" is not a known time zone; use an IANA id such as \"Europe/Oslo\" or \"UTC\"."); }
        if (options.DispatchInterval <= TimeSpan.Zero)
            failures.Add($"Worker:DispatchInterval is {options.DispatchInterval}: it must be positive, e.g. \"00:05:00\".");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
