using MentorStatus.Database;
using Microsoft.Extensions.Options;

namespace MentorStatus.DependencyInjection;

/// <summary>Checks <see cref="MentorStatusOptions"/> at start-up; each failure names the configuration key and a valid value.</summary>
internal sealed class MentorStatusOptionsValidator : IValidateOptions<MentorStatusOptions>
{
    private const string Section = MentorStatusOptions.SectionName;

    public ValidateOptionsResult Validate(string? name, MentorStatusOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.ConnectionString))
            failures.Add($"{Section}:ConnectionString is empty: set it (appsettings.json, or the environment variable {Section}__ConnectionString) " +
                         "to an Npgsql connection string or a postgresql:// URL.");
        else
        {
            try { _ = DatabaseTarget.Parse(options.ConnectionString); }
            catch (ArgumentException e) { failures.Add($"{Section}:ConnectionString cannot be read: {e.Message}"); }
        }
        AtLeastOne(options.Retry.MaxAttempts, "Retry:MaxAttempts", failures);
        AtLeastOne(options.Job.BatchSize, "Job:BatchSize", failures);
        AtLeastOne(options.Job.Retry.MaxAttempts, "Job:Retry:MaxAttempts", failures);
        AtLeastOne(options.Notifications.Dispatcher.BatchSize, "Notifications:Dispatcher:BatchSize", failures);
        AtLeastOne(options.Notifications.Dispatcher.MaxAttempts, "Notifications:Dispatcher:MaxAttempts", failures);
        AtLeastOne(options.Notifications.Dispatcher.Retry.MaxAttempts, "Notifications:Dispatcher:Retry:MaxAttempts", failures);
        Positive(options.Job.AbandonAfter, "Job:AbandonAfter", failures);
        Positive(options.Notifications.Dispatcher.ClaimDuration, "Notifications:Dispatcher:ClaimDuration", failures);
        Positive(options.Health.OutboxStuckAfter, "Health:OutboxStuckAfter", failures);
        var notifications = options.Notifications;
        failures.AddRange(MentorStatus.Notifications.NotificationChannels.Problems(
            MentorStatus.Notifications.NotificationChannels.Normalise(notifications.Channels), notifications.Smtp, notifications.Webhook));
        if (options.Notifications.Dispatcher.Problem() is { } dispatcher) failures.Add(dispatcher);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void AtLeastOne(int value, string key, List<string> failures)
    {
        if (value < 1) failures.Add($"{Section}:{key} is {value}: it must be 1 or more.");
    }

    private static void Positive(TimeSpan value, string key, List<string> failures)
    {
        if (value <= TimeSpan.Zero) failures.Add($"{Section}:{key} is {value}: it must be a positive duration, e.g. \"00:30:00\".");
    }
}
