using MentorStatus.Bench.Data;
using MentorStatus.Database;
using Npgsql;
using Spectre.Console;

namespace MentorStatus.Bench;

/// <summary>What every case gets: the size, the loaded bench database and the tools.</summary>
public sealed record BenchContext(
    BenchSize Size,
    ProjectLayout Layout,
    BenchCluster Cluster,
    NpgsqlDataSource Data,
    DataLoader Loader,
    Pgbench Pgbench,
    IAnsiConsole Err,
    string WorkDirectory)
{
    public const string Database = "bench";

    public void Say(string message) => Err.MarkupLineInterpolated($"[grey]{message}[/]");

    public async Task ExecAsync(string sql, CancellationToken ct)
    {
        await using var command = Data.CreateCommand(sql);
        await command.ExecuteNonQueryAsync(ct);
    }

    public async Task<T> ScalarAsync<T>(string sql, CancellationToken ct)
    {
        await using var command = Data.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync(ct))!;
    }
}

public static class Figures
{
    /// <summary>A figure from the runs of a case and of its baseline (medians, ratio value/baseline).</summary>
    public static Figure Compare(string @case, string measure, string unit, IReadOnlyList<double> runs,
        string? baselineName, IReadOnlyList<double>? baselineRuns, string target,
        Func<double, double?, double?, bool?> check, Func<double, double?, double?, string> verdict)
    {
        var value = Stats.Median(runs);
        double? baseline = baselineRuns is { Count: > 0 } ? Stats.Median(baselineRuns) : null;
        double? ratio = baseline is { } b && b != 0 ? value / b : null;
        var met = check(value, baseline, ratio);
        return new Figure(@case, measure, value, unit, baselineName, baseline, ratio, target, met, verdict(value, baseline, ratio),
            runs, baselineRuns ?? []);
    }

    public static string F(double v) => v switch
    {
        double.NaN => "n/a",
        >= 1000 => v.ToString("N0", System.Globalization.CultureInfo.InvariantCulture),
        >= 100 => v.ToString("F0", System.Globalization.CultureInfo.InvariantCulture),
        >= 10 => v.ToString("F1", System.Globalization.CultureInfo.InvariantCulture),
        >= 1 => v.ToString("F2", System.Globalization.CultureInfo.InvariantCulture),
        _ => v.ToString("F3", System.Globalization.CultureInfo.InvariantCulture),
    };
}
