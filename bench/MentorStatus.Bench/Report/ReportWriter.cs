using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace MentorStatus.Bench.Report;

/// <summary>Writes BENCHMARKS.md, the JSON file and the SVG chart of one run.</summary>
public static class ReportWriter
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static void WriteJson(BenchReport report, string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllText(path, JsonSerializer.Serialize(report, Json) + "\n");
    }

    public static void WriteSvg(BenchReport report, string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllText(path, SvgChart.Render($"Latency distributions — size {report.Size.Name}, {report.StartedAt:yyyy-MM-dd}",
            report.Cases.SelectMany(c => c.Latencies).ToList()));
    }

    /// <param name="title">The top heading: the report's own file is "Benchmarks"; a section of a larger file names itself.</param>
    public static string Markdown(BenchReport report, string svgRelative, string jsonRelative, string title = "Benchmarks")
    {
        var md = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        var s = report.Size;
        md.AppendLine(inv, $"# {title}");
        md.AppendLine();
        md.AppendLine(inv, $"Figures of the last run of `bench/MentorStatus.Bench`, size **{s.Name}**: {s.HistoryRows:N0} history rows over " +
                           $"{s.Mentors:N0} mentors, {s.ExpiredMentors:N0} expired mentors, {s.Chapters:N0} chapters; every figure is the median of " +
                           $"{s.Runs} runs (index builds: {s.IndexRuns}) next to its baseline's median **from the same run**, as a ratio.");
        md.AppendLine("The ratio is the ratio of the medians; in brackets, the median of the per-run ratios (each run over the baseline measured right next to it).");
        md.AppendLine();
        md.AppendLine(inv, $"Run {report.StartedAt:yyyy-MM-dd HH:mm} UTC, {report.Duration.TotalMinutes:F1} min in all. {report.LoadSummary}.");
        md.AppendLine();
        md.AppendLine("The machine is shared: other builds and tests ran at the same time, so absolute numbers are noisy; the ratios " +
                      "(case and baseline measured alternately in the same run) are the figures to compare.");
        md.AppendLine();
        md.AppendLine("## Figures");
        md.AppendLine();
        md.AppendLine("| case | measure | median | baseline (median) | ratio | target | verdict |");
        md.AppendLine("| --- | --- | ---: | --- | ---: | --- | --- |");
        foreach (var c in report.Cases)
        {
            if (c.Error is { } error)
            {
                md.AppendLine(inv, $"| {c.Id} | — | — | — | — | — | **failed**: {Cell(error)} |");
                continue;
            }
            foreach (var f in c.Figures)
            {
                var baseline = f.Baseline is { } b ? $"{Cell(f.BaselineName ?? "")}: {Figures.F(b)} {f.Unit}" : "—";
                var ratio = f.Ratio is { } r ? $"{r.ToString("F2", inv)}×" : "—";
                if (f.Ratio is not null && f.PairedRatio is { } p && f.Runs.Count > 1) ratio += $" (paired {p.ToString("F2", inv)}×)";
                var mark = f.Met switch { true => "✅ ", false => "❌ ", null => "" };
                md.AppendLine(inv, $"| {c.Id} | {Cell(f.Measure)} | {Figures.F(f.Value)} {f.Unit} | {baseline} | {ratio} | {Cell(f.Target)} | {mark}{Cell(f.Verdict)} |");
            }
        }
        md.AppendLine();
        md.AppendLine(inv, $"![latency distributions]({svgRelative})");
        md.AppendLine();
        md.AppendLine("## Cases");
        foreach (var c in report.Cases)
        {
            md.AppendLine();
            md.AppendLine(inv, $"### {c.Title}");
            md.AppendLine();
            if (c.Error is { } error) md.AppendLine(inv, $"**The case failed**: {error}").AppendLine();
            foreach (var note in c.Notes) md.AppendLine(inv, $"- {note}");
            foreach (var f in c.Figures.Where(f => f.Runs.Count > 1))
                md.AppendLine("- runs of \"" + f.Measure + "\": " + string.Join(", ", f.Runs.Select(Figures.F)) + " " + f.Unit +
                              (f.BaselineRuns.Count > 0 ? "; baseline: " + string.Join(", ", f.BaselineRuns.Select(Figures.F)) + " " + f.Unit : ""));
            foreach (var (heading, text) in c.Details)
            {
                md.AppendLine().AppendLine(inv, $"{heading}:").AppendLine().AppendLine("```").AppendLine(text.TrimEnd()).AppendLine("```").AppendLine();
            }
            foreach (var l in c.Latencies.Where(l => l.Count > 0))
                md.AppendLine(inv, $"- latency of {l.Name}: p50 {Figures.F(l.P50)} ms, p90 {Figures.F(l.P90)} ms, p99 {Figures.F(l.P99)} ms, max {Figures.F(l.Max)} ms (n = {l.Count:N0})");
        }
        md.AppendLine();
        md.AppendLine("## Machine");
        md.AppendLine();
        var m = report.Machine;
        md.AppendLine(inv, $"- CPU: {m.Cpu}, {m.Cores} cores; memory {m.Memory}; {m.Os}");
        md.AppendLine(inv, $"- .NET {m.DotNet}; {m.PostgreSql}");
        md.AppendLine(inv, $"- load average at the start: {m.LoadAverageAtStart}");
        md.AppendLine(inv, $"- data cluster settings: {string.Join(", ", m.ServerSettings.Select(kv => $"{kv.Key}={kv.Value}"))} (fsync and synchronous_commit on, as in production)");
        md.AppendLine(inv, $"- commit {m.GitCommit}");
        md.AppendLine();
        md.AppendLine("## Reproduce");
        md.AppendLine();
        md.AppendLine("```sh");
        md.AppendLine("dotnet run -c Release --project bench/MentorStatus.Bench -- --size full --runs 5 --out BENCHMARKS.md");
        md.AppendLine("# quick: --size small; CI: --size ci (well under a minute); or --size N for N history rows");
        md.AppendLine("```");
        md.AppendLine();
        md.AppendLine(inv, $"This run: `{report.CommandLine}`. The bench creates its own PostgreSQL 15 cluster in a temporary folder on a free port " +
                           $"(as the postgres OS user when run as root), loads the data with binary COPY, and deletes the cluster at the end. " +
                           $"pgbench comes from the same PostgreSQL installation. Raw figures: [{jsonRelative}]({jsonRelative}).");
        return md.ToString();
    }

    private static string Cell(string s) => s.Replace("|", "\\|", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);
}
