using System.Diagnostics;

namespace MentorStatus.Tooling.Lint;

/// <summary>
/// Where one lint's wall time went, for the bench and --verbose: start-up (scratch database, platform layer, hosted
/// objects), replay (the files' statements and the tracer's savepoints and lock reads), catalog reads (the per-statement
/// catalog states and the schema snapshots), rules, and rollback checks. The parts add up to about the whole; what is
/// left is file reading and clean-up.
/// </summary>
public sealed class LintPhaseTimes
{
    private long _startUp, _replay, _catalog, _rules, _rollback;

    public TimeSpan StartUp => Stopwatch.GetElapsedTime(0, _startUp);
    public TimeSpan Replay => Stopwatch.GetElapsedTime(0, _replay);
    public TimeSpan CatalogReads => Stopwatch.GetElapsedTime(0, _catalog);
    public TimeSpan Rules => Stopwatch.GetElapsedTime(0, _rules);
    public TimeSpan RollbackChecks => Stopwatch.GetElapsedTime(0, _rollback);
    public TimeSpan Total { get; internal set; }
    /// <summary>Catalog states read (one per statement that changed the catalog, one per file), and statements replayed.</summary>
    public int CatalogStates { get; internal set; }
    public int Statements { get; internal set; }

    internal void AddReplay(TimeSpan elapsed) => Interlocked.Add(ref _replay, (long)(elapsed.TotalSeconds * Stopwatch.Frequency));

    internal enum Phase { StartUp, Replay, Catalog, Rules, Rollback }

    /// <summary>Times from now until the returned value is disposed, into <paramref name="phase"/>.</summary>
    internal Measure Time(Phase phase) => new(this, phase, Stopwatch.GetTimestamp());

    internal readonly struct Measure(LintPhaseTimes times, Phase phase, long started) : IDisposable
    {
        public void Dispose()
        {
            var elapsed = Stopwatch.GetTimestamp() - started;
            switch (phase)
            {
                case Phase.StartUp: Interlocked.Add(ref times._startUp, elapsed); break;
                case Phase.Replay: Interlocked.Add(ref times._replay, elapsed); break;
                case Phase.Catalog: Interlocked.Add(ref times._catalog, elapsed); break;
                case Phase.Rules: Interlocked.Add(ref times._rules, elapsed); break;
                default: Interlocked.Add(ref times._rollback, elapsed); break;
            }
        }
    }
}
