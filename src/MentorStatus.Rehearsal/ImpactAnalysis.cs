using MentorStatus.Tooling.Lint;

namespace MentorStatus.Rehearsal;

/// <summary>
/// Puts the measurements together per statement: the probe's locks, rewrites and WAL; the monitor's lock waits,
/// each laid at the door of the statement that took a lock on the relation the client waited for (else the
/// statement running when the wait began); and the calls of the synthetic clients that overlapped the time the
/// statement's locks were held (until the next statement began, or the commit for the last one).
/// </summary>
internal static class ImpactAnalysis
{
    /// <summary>Modes that come with row locks (DML, SELECT … FOR UPDATE): a writer can wait on a row however weak the table lock.</summary>
    private static readonly string[] RowLockModes = ["RowExclusiveLock", "RowShareLock"];

    /// <param name="loadStoppedEarly">When a synthetic client ended before the load was stopped (null: none did, or no load).</param>
    public static IReadOnlyList<StatementRehearsal> Statements(IReadOnlyList<ProbedStatement> probed, ActivityMonitor monitor,
        IReadOnlyList<ClientOperation>? operations, IReadOnlyList<LintFinding> findings, TimeSpan maxBlock, DateTime? loadStoppedEarly)
    {
        var waits = monitor.Waits();
        var result = new List<StatementRehearsal>();
        foreach (var file in probed.GroupBy(p => p.File))
        {
            var statements = file.ToList();
            var fileStart = statements[0].Start;
            var fileEnd = statements.Max(s => s.Released);
            var culprits = waits.Where(w => w.Since < fileEnd && w.LastSeen > fileStart)
                .GroupBy(w => Culprit(statements, w))
                .ToDictionary(g => g.Key, g => g.ToList());
            for (var i = 0; i < statements.Count; i++)
            {
                var s = statements[i];
                var windowEnd = i + 1 < statements.Count ? statements[i + 1].Start : s.Released;
                var locks = s.Transactional
                    ? s.NewLocks.Select(l => (l.Relation, l.Mode)).ToList()
                    : monitor.MigrationLocks(s.Start, s.End).Select(l => (l.Relation, l.Mode)).Distinct().ToList();
                var held = locks
                    .Where(l => s.Baseline.TryGetValue(l.Relation, out var r) && r.Kind != 'i')
                    .Select(l => new LockHeld(s.Baseline[l.Relation].Name, l.Mode, s.Baseline[l.Relation].Rows, s.Released - s.Start))
                    .OrderByDescending(l => l.Rows).ToList();
                ClientImpact? impact = null;
                if (operations is not null)
                {
                    var overlapping = operations.Where(o => o.Start < windowEnd && o.End > s.Start).Select(o => o).ToList();
                    var latencies = overlapping.Select(o => o.Milliseconds).Order().ToList();
                    var mine = culprits.GetValueOrDefault(s, []);
                    impact = new ClientImpact(overlapping.Count, Percentile(latencies, 0.50), Percentile(latencies, 0.99),
                        latencies.Count == 0 ? 0 : latencies[^1], overlapping.Count(o => o.Failed), mine.Count,
                        mine.Select(w => w.Duration).DefaultIfEmpty().Max());
                }
                var (verdict, why) = Judge(s, locks, held, impact, operations, maxBlock, loadStoppedEarly);
                var lint = findings.Where(f => f.File == s.File.DisplayPath && f.StatementNumber == s.Statement.Number)
                    .Select(f => $"{f.Rule.Id} {f.Message}{(f.IsAcknowledged ? $" (acknowledged: {f.AcknowledgedBecause})" : "")}")
                    .ToList();
                result.Add(new StatementRehearsal(s.Statement.Number, s.Statement.Line, LintFinding.Shorten(s.Statement.Text, 100), s.Transactional,
                    s.End - s.Start, held, s.Written, s.WalBytes, impact, lint) { Verdict = verdict, VerdictReason = why });
            }
        }
        return result;
    }

    /// <summary>
    /// The verdict of one statement. Blocking: it held a lock that writers wait for (SHARE or stronger) on a table with
    /// rows longer than --max-block, whether or not a client happened to wait, or a client waited on it longer.
    /// Otherwise safe when no writer can have waited longer than --max-block: a writer waits at most from the
    /// statement's start (its own queueing for the lock included) until its locks go, so a statement done within
    /// --max-block, or holding no lock on an existing table, or only locks that neither conflict with writers nor come
    /// with row locks (a concurrent index build: SHARE UPDATE EXCLUSIVE) cannot. What is left (longer, with row locks:
    /// an UPDATE, DELETE, SELECT FOR UPDATE) is safe only as measured: a client write to a table it locked overlapped it
    /// and no client waited too long; else it is not measured (no load, no write overlapped, or a client ended early).
    /// </summary>
    private static (StatementVerdict, string) Judge(ProbedStatement s, List<(uint Relation, string Mode)> locks, List<LockHeld> held, ClientImpact? impact,
        IReadOnlyList<ClientOperation>? operations, TimeSpan maxBlock, DateTime? loadStoppedEarly)
    {
        var span = s.Released - s.Start;
        if (held.FirstOrDefault(l => l.Rows > 0 && l.BlocksWrites && l.Held > maxBlock) is { } blocking)
            return (StatementVerdict.Blocking, $"held {blocking.ShortMode} on {blocking.Relation} ({blocking.Rows:N0} rows) for {RehearsalReport.Ms(blocking.Held)}: every writer of it waits");
        if (impact is not null && impact.LongestLockWait > maxBlock)
            return (StatementVerdict.Blocking, $"a synthetic client waited {RehearsalReport.Ms(impact.LongestLockWait)} for its locks");
        if (span <= maxBlock) return (StatementVerdict.Safe, $"done within --max-block ({RehearsalReport.Ms(span)})");
        var tables = locks.Where(l => s.Baseline.TryGetValue(l.Relation, out var r) && r.Kind != 'i').ToList();
        if (tables.Count == 0) return (StatementVerdict.Safe, "no lock on a table that existed before");
        if (!tables.Any(l => RowLockModes.Contains(l.Mode)) && !held.Any(l => l.BlocksWrites))
            return (StatementVerdict.Safe, "its locks let writers through (no row locks, nothing SHARE or stronger)");
        if (operations is null) return (StatementVerdict.NotMeasured, $"ran {RehearsalReport.Ms(span)} with row locks and no synthetic clients: run with --load");
        if (loadStoppedEarly is { } stopped && stopped < s.Released)
            return (StatementVerdict.NotMeasured, $"a synthetic client ended early ({stopped:HH:mm:ss.fff} UTC), before this statement was done");
        var oids = tables.Select(l => l.Relation).ToHashSet();
        var wrote = operations.Any(o => !o.Failed && o.Start < s.Released && o.End > s.Start && o.Writes.Any(oids.Contains));
        return wrote
            ? (StatementVerdict.Safe, "measured: clients wrote to its tables meanwhile and none waited longer than --max-block")
            : (StatementVerdict.NotMeasured, $"ran {RehearsalReport.Ms(span)} with row locks and no client wrote to its tables meanwhile");
    }

    private static ProbedStatement Culprit(List<ProbedStatement> statements, LockWait wait)
    {
        if (wait.Relation != 0 && statements.FirstOrDefault(s => s.NewLocks.Any(l => l.Relation == wait.Relation)) is { } taker)
            return taker;
        return statements.LastOrDefault(s => s.Start <= wait.Since) ?? statements[0];
    }

    public static double Percentile(IReadOnlyList<double> sorted, double q) =>
        sorted.Count == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Count) - 1, 0, sorted.Count - 1)];
}
