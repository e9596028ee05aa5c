namespace MentorStatus.Bench;

/// <summary>
/// One line of the figures table: a median of several runs next to its baseline's median from the same
/// run, the ratio, and the target. <see cref="Met"/> is null where the issue sets no target.
/// </summary>
public sealed record Figure(
    string Case,
    string Measure,
    double Value,
    string Unit,
    string? BaselineName,
    double? Baseline,
    double? Ratio,
    string Target,
    bool? Met,
    string Verdict,
    IReadOnlyList<double> Runs,
    IReadOnlyList<double> BaselineRuns)
{
    /// <summary>Median of the per-run ratios (each run over the baseline measured next to it), when the runs pair up.</summary>
    public double? PairedRatio => BaselineRuns.Count > 0 && BaselineRuns.Count == Runs.Count && BaselineRuns.All(b => b != 0)
        ? Stats.Median(Runs.Zip(BaselineRuns, (r, b) => r / b))
        : null;
}

/// <summary>Everything one case found: its figures, its latency distributions and notes for the report.</summary>
public sealed class CaseResult(string id, string title)
{
    public string Id { get; } = id;
    public string Title { get; } = title;
    public List<Figure> Figures { get; } = [];
    public List<LatencySummary> Latencies { get; } = [];
    public List<string> Notes { get; } = [];
    /// <summary>Preformatted blocks (plans) for the report, by heading.</summary>
    public Dictionary<string, string> Details { get; } = [];
    public string? Error { get; set; }
}

public sealed record MachineInfo(
    string Cpu, int Cores, string Memory, string Os, string DotNet, string PostgreSql,
    IReadOnlyDictionary<string, string> ServerSettings, string GitCommit, string LoadAverageAtStart);

public sealed record BenchReport(
    DateTimeOffset StartedAt,
    TimeSpan Duration,
    BenchSize Size,
    MachineInfo Machine,
    string LoadSummary,
    IReadOnlyList<CaseResult> Cases,
    string CommandLine);
