using System.Diagnostics;
using MentorStatus.Tooling.Local;

namespace MentorStatus.Tests.Engine;

/// <summary>The server tools' runner: its own time limit is a clear, actionable failure, and the tool does not outlive it.</summary>
public sealed class OsProcessTests
{
    [Fact]
    public async Task ATimedOutToolIsStopped_AndReportedAsATimeoutThatNamesIt()
    {
        var clock = Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<TimeoutException>(() =>
            OsProcess.RunAsync("/bin/sleep", ["600"], asPostgresUser: false, CancellationToken.None, TimeSpan.FromMilliseconds(300)));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"took {clock.Elapsed}");
        Assert.Contains("sleep did not finish within 0.3 s", e.Message, StringComparison.Ordinal);
        Assert.Contains("run the command again", e.Message, StringComparison.Ordinal);
        Assert.Contains(OsProcess.TimeLimitVariable, e.Message, StringComparison.Ordinal); // and how to allow more time
        Assert.DoesNotContain("600", e.Message, StringComparison.Ordinal); // the arguments stay out of the message
        Assert.DoesNotContain("/bin/sleep 600", OwnChildren());
    }

    [Fact]
    public async Task TheCallersCancellationStaysACancellation()
    {
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            OsProcess.RunAsync("/bin/sleep", ["601"], asPostgresUser: false, cancel.Token, TimeSpan.FromMinutes(2)));
        Assert.DoesNotContain("/bin/sleep 601", OwnChildren());
    }

    [Theory]
    [InlineData(null, 120)]
    [InlineData("", 120)]
    [InlineData("600", 600)]
    [InlineData("0.5", 0.5)]
    public void TheTimeLimitComesFromTheEnvironmentOrIsTwoMinutes(string? configured, double seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), OsProcess.DefaultTimeLimit(configured));

    [Theory]
    [InlineData("ten")]
    [InlineData("0")]
    [InlineData("-5")]
    [InlineData("1e9")]
    public void AnUnusableTimeLimitIsRefusedWithWhatToWriteInstead(string configured)
    {
        var e = Assert.Throws<LocalDatabaseException>(() => OsProcess.DefaultTimeLimit(configured));
        Assert.Contains(OsProcess.TimeLimitVariable, e.Message, StringComparison.Ordinal);
        Assert.Contains($"got \"{configured}\"", e.Message, StringComparison.Ordinal);
        Assert.Contains($"{OsProcess.TimeLimitVariable}=600", e.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// The command lines of this test process's own child processes (/proc/self/task/*/children: each thread lists
    /// the children it started). Only those: another test run on the machine may run the same command at the same time.
    /// </summary>
    private static List<string> OwnChildren()
    {
        var children = new List<string>();
        foreach (var task in Directory.EnumerateDirectories("/proc/self/task"))
        {
            string pids;
            try { pids = File.ReadAllText(Path.Combine(task, "children")); }
            catch (IOException) { continue; } // the thread ended
            foreach (var pid in pids.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                try { children.Add(File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Trim()); }
                catch (IOException) { } // the child is gone
            }
        }
        return children;
    }
}
