using MentorStatus.Database.Lint;

namespace MentorStatus.Database.Rehearsal;

/// <summary>
/// Puts the measurements together per statement: the probe's locks, rewrites and WAL; the monitor's lock waits,
/// each laid at the door of the statement that took a lock on the relation the client waited for (else the
/// statement running when the wait began); and the calls of the synthetic clients that overlapped the time the
/// statement's locks were held (until the next statement began, or the commit for the last one).
/// </summary>
internal static class ImpactAnalysis
{
    public static IReadOnlyList<StatementRehearsal> Statements(IReadOnlyList<ProbedStatement> probed, ActivityMonitor monitor,
        IReadOnlyList<ClientOperation>? operations, IReadOnlyList<LintFinding> findings)
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
                var lint = findings.Where(f => f.File == s.File.DisplayPath && f.StatementNumber == s.Statement.Number)
                    .Select(f => $"{f.Rule.Id} {f.Message}{(f.IsAcknowledged ? $" (acknowledged: {f.AcknowledgedBecause})" : "")}")
                    .ToList();
                result.Add(new StatementRehearsal(s.Statement.Number, s.Statement.Line, LintFinding.Shorten(s.Statement.Text, 100), s.Transactional,
                    s.End - s.Start, held, s.Written, s.WalBytes, impact, lint));
            }
        }
        return result;
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
