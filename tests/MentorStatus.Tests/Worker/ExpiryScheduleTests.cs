using MentorStatus.Worker;

namespace MentorStatus.Tests.Worker;

/// <summary>The default schedule, 02:00 Europe/Oslo, across winter time, summer time and the spring-forward gap.</summary>
public sealed class ExpiryScheduleTests
{
    private static readonly ExpirySchedule Default = new(new WorkerOptions().ExpirySchedule, new WorkerOptions().TimeZone);

    [Theory]
    [InlineData("2026-01-10T12:00:00Z", "2026-01-11T01:00:00Z")] // CET, UTC+1
    [InlineData("2026-07-10T12:00:00Z", "2026-07-11T00:00:00Z")] // CEST, UTC+2
    [InlineData("2026-07-11T00:00:00Z", "2026-07-12T00:00:00Z")] // strictly after: not the same instant again
    [InlineData("2026-03-28T12:00:00Z", "2026-03-29T01:00:00Z")] // 02:00 does not exist that night: runs at 03:00 CEST
    public void NextRun_IsTwoOClockInOslo(string from, string expected) =>
        Assert.Equal(DateTimeOffset.Parse(expected, CultureInfo.InvariantCulture), Default.Next(DateTimeOffset.Parse(from, CultureInfo.InvariantCulture)));

    [Fact]
    public void BadScheduleOrZone_AreRefusedNamingTheKey()
    {
        var result = new WorkerOptionsValidator().Validate(null,
            new WorkerOptions { ExpirySchedule = "every night", TimeZone = "Mars/Olympus", DispatchInterval = TimeSpan.Zero });
        Assert.True(result.Failed);
        Assert.Contains(result.Failures!, f => f.StartsWith("Worker:ExpirySchedule \"every night\"", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.StartsWith("Worker:TimeZone \"Mars/Olympus\"", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.StartsWith("Worker:DispatchInterval", StringComparison.Ordinal));
    }
}
