namespace MentorStatus.Bench;

public static class Stats
{
    public static double Median(IEnumerable<double> values) => Percentile(values, 50);

    /// <summary>Linear interpolation between closest ranks.</summary>
    public static double Percentile(IEnumerable<double> values, double p)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0) return double.NaN;
        var rank = p / 100.0 * (sorted.Length - 1);
        var lo = (int)Math.Floor(rank);
        var hi = (int)Math.Ceiling(rank);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
    }
}

/// <summary>A latency sample summarised for the JSON file and the SVG chart (milliseconds).</summary>
public sealed record LatencySummary(string Name, int Count, double P1, double P25, double P50, double P75, double P90, double P99, double Max)
{
    public static LatencySummary Of(string name, IReadOnlyCollection<double> ms) => new(name, ms.Count,
        Stats.Percentile(ms, 1), Stats.Percentile(ms, 25), Stats.Percentile(ms, 50), Stats.Percentile(ms, 75),
        Stats.Percentile(ms, 90), Stats.Percentile(ms, 99), ms.Count == 0 ? double.NaN : ms.Max());
}
