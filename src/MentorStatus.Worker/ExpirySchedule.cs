using Cronos;

namespace MentorStatus.Worker;

/// <summary>A cron expression in a time zone: the next run after an instant (Cronos handles DST gaps and overlaps).</summary>
public sealed class ExpirySchedule(string cron, string timeZone)
{
    private readonly CronExpression _expression = CronExpression.Parse(cron);
    private readonly TimeZoneInfo _zone = TimeZoneInfo.FindSystemTimeZoneById(timeZone);

    /// <summary>The first occurrence strictly after <paramref name="from"/>, or null when the expression never fires again.</summary>
    public DateTimeOffset? Next(DateTimeOffset from) => _expression.GetNextOccurrence(from, _zone);
}
