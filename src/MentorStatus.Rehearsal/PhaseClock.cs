using System.Diagnostics;

namespace MentorStatus.Rehearsal;

/// <summary>The wall time of one phase of a rehearsal (the `phases` of `db rehearse --json`).</summary>
/// <param name="Overlapped">It ran alongside the phases before it (its time is inside theirs, not added to the whole).</param>
public sealed record PhaseTiming(string Phase, TimeSpan Duration, bool Overlapped = false);

/// <summary>The phases of a rehearsal, in the order they run (the names of <see cref="PhaseTiming.Phase"/>).</summary>
public static class RehearsalPhases
{
    public const string SourceCheck = "source check";
    public const string Initdb = "initdb";
    public const string InitdbFromCache = "cluster files from the initdb cache";
    public const string Start = "server start";
    public const string SourceRead = "source's roles, schema and copy plan read (alongside initdb and start)";
    public const string SourceReadWait = "wait for the source's schema read";
    public const string SchemaCopy = "roles and schema restored (pre-data)";
    public const string RowCopy = "rows and sequences";
    public const string PostData = "indexes and constraints (post-data)";
    public const string Analyze = "ANALYZE";
    public const string Plan = "migration plan and schema snapshot";
    public const string Lint = "lint replay (alongside rows, post-data, ANALYZE and plan)";
    public const string LintWait = "wait for the lint replay";
    public const string LintAfterCopy = "lint replay (after the copy: its journal listed other pending migrations than the source's)";
    public const string Durability = "durable settings and checkpoint";
    public const string LoadBaseline = "synthetic clients' baseline";
    public const string Migrations = "migrations";
    public const string Rollback = "rollback and schema compare";
    public const string StopAndDelete = "server stop and folder deletion";
}

/// <summary>
/// Times the phases of one rehearsal back to back: <see cref="Lap"/> ends the running phase under its name, so the
/// phases add up to the whole command (less the CLI's own start), apart from those marked overlapped. Laps come
/// from the main flow only; work running beside it is timed by itself and added with <see cref="Add"/>.
/// </summary>
public sealed class PhaseClock
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly List<PhaseTiming> _phases = [];
    private TimeSpan _mark;

    public IReadOnlyList<PhaseTiming> Phases
    {
        get { lock (_phases) return [.. _phases]; }
    }

    /// <summary>Ends the running phase (everything since the previous lap) and names it.</summary>
    public void Lap(string phase)
    {
        lock (_phases)
        {
            var now = _clock.Elapsed;
            _phases.Add(new PhaseTiming(phase, now - _mark));
            _mark = now;
        }
    }

    /// <summary>A phase that ran alongside the others (measured by itself): listed, not counted in the laps.</summary>
    public void Add(string phase, TimeSpan duration, bool overlapped)
    {
        lock (_phases) _phases.Add(new PhaseTiming(phase, duration, overlapped));
    }
}
