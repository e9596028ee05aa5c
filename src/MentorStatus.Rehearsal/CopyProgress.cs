namespace MentorStatus.Rehearsal;

/// <summary>Counters of the copy, updated by the copy streams and read by a progress bar on another thread.</summary>
public sealed class CopyProgress
{
    private long _rows;
    private long _bytes;

    /// <summary>Estimated rows to copy (from the source's statistics), known once the plan is made.</summary>
    public long EstimatedRows { get; internal set; }
    public long Rows => Interlocked.Read(ref _rows);
    public long Bytes => Interlocked.Read(ref _bytes);
    public int TablesDone => _tablesDone;
    public int Tables { get; internal set; }
    private int _tablesDone;

    internal void Add(long rows, long bytes)
    {
        Interlocked.Add(ref _rows, rows);
        Interlocked.Add(ref _bytes, bytes);
    }

    internal void TableDone() => Interlocked.Increment(ref _tablesDone);
}

/// <summary>Where a rehearsal reports what it is doing.</summary>
public sealed class RehearsalProgress
{
    public CopyProgress Copy { get; } = new();
    /// <summary>The current phase in a few words ("copying data", "applying 2026…_x.sql").</summary>
    public event Action<string>? Phase;

    internal void Report(string phase) => Phase?.Invoke(phase);
}
