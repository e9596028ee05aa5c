using MentorStatus.Database;
namespace MentorStatus.Rehearsal;

/// <summary>What `db rehearse` copies, how hard it loads the copy, and when it calls a statement blocking.</summary>
public sealed record RehearsalOptions
{
    /// <summary>The production database (read only: never written).</summary>
    public required DatabaseTarget Source { get; init; }
    /// <summary>Keep this percentage of the sampled tables' rows (and their children); null copies everything.</summary>
    public double? SamplePercent { get; init; }
    /// <summary>Copy the data of these tables only (plus the tables they reference); empty copies every table.</summary>
    public IReadOnlyList<string> Tables { get; init; } = [];
    /// <summary>Synthetic clients running the app's timeline read and status change during the migrations.</summary>
    public int LoadClients { get; init; }
    /// <summary>A statement that makes a client wait longer than this on a lock fails the rehearsal.</summary>
    public TimeSpan MaxBlock { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>The lock_timeout `db up` would use (its --lock-timeout).</summary>
    public TimeSpan LockTimeout { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>Leave the throwaway cluster running afterwards (its URL is in the report).</summary>
    public bool Keep { get; init; }
    /// <summary>Accept a source role that could write (it is still only read, in read-only sessions).</summary>
    public bool AcceptWritableSource { get; init; }
    /// <summary>Parallel copy streams and pg_restore jobs.</summary>
    public int Jobs { get; init; } = Math.Clamp(Environment.ProcessorCount, 1, 4);
    /// <summary>Where the throwaway cluster goes; default the system temp folder (never the project folder).</summary>
    public string? WorkRoot { get; init; }

    /// <summary>Where a fresh initdb is kept and copied from (see <see cref="InitdbCache"/>); null runs initdb every time.</summary>
    public string? InitdbCacheFolder { get; init; } = InitdbCache.DefaultFolder();

    /// <summary>Refuses nonsense before anything starts; the message names the option and the fix.</summary>
    public void Validate()
    {
        if (SamplePercent is { } p && (!double.IsFinite(p) || p <= 0 || p > 100))
            throw new ArgumentException($"--sample must be a percentage above 0 and at most 100 (got {p}).");
        if (SamplePercent is not null && Tables.Count > 0)
            throw new ArgumentException("--sample and --tables do not combine: sample a share of everything, or copy the named tables whole.");
        if (LoadClients is < 0 or > 64)
            throw new ArgumentException($"--load must be a number of clients from 0 to 64 (got {LoadClients}).");
        if (MaxBlock < TimeSpan.Zero)
            throw new ArgumentException("--max-block must be zero or more seconds.");
        if (Jobs < 1) throw new ArgumentException("jobs must be at least 1.");
    }
}
