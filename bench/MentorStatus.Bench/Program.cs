using System.CommandLine;
using System.Diagnostics;
using MentorStatus.Bench;
using MentorStatus.Bench.Cases;
using MentorStatus.Bench.Data;
using MentorStatus.Bench.Report;
using MentorStatus.Database;
using Spectre.Console;

// mentorstatus-bench: the project's benchmarks, each case side by side with its baseline from the same run.
// First of all, before Console is touched: started in the background by a script, the bench inherits SIGINT
// ignored and .NET would never run the SIGINT handler below (only SIGTERM stopped it; see InterruptSignal).
MentorStatus.Tooling.Local.InterruptSignal.RestoreIfIgnored();
var sizeOption = new Option<string>("--size") { Description = "ci, small, full, or a number of history rows", DefaultValueFactory = _ => "small" };
var runsOption = new Option<int?>("--runs") { Description = "runs per case (the median is reported); default per size: ci 2, small 3, full 5" };
// A run writes into the git-ignored bench/results/local/ unless told otherwise: the tracked BENCHMARKS.md and its figures
// change only with --publish (a full run on a quiet machine) or an explicit --out/--json/--svg.
var publishOption = new Option<bool>("--publish") { Description = "write the tracked report: the generated section of BENCHMARKS.md (the hand-written rest is kept), bench/results/latest.json and latency.svg (default: bench/results/local/)" };
var outOption = new Option<string?>("--out") { Description = "the Markdown report, relative to the project root, written between its generated-section markers as --publish does (default: bench/results/local/bench.md)" };
var jsonOption = new Option<string?>("--json") { Description = "the JSON figures, relative to the project root (default: bench/results/local/bench.json)" };
var svgOption = new Option<string?>("--svg") { Description = "the SVG latency chart, relative to the project root (default: bench/results/local/latency.svg)" };
var portOption = new Option<int?>("--port") { Description = "port on 127.0.0.1 of the bench's data cluster (default: a free one, from MENTORSTATUS_TEST_PORTS when set); the other throwaway servers take free ports" };
var casesOption = new Option<string?>("--cases") { Description = $"comma-separated subset of: {string.Join(", ", CaseOrder.All)}" };
var workdirOption = new Option<string?>("--workdir") { Description = "a folder inside the project (default: the current folder)" };
var keepOption = new Option<bool>("--keep") { Description = "leave the data cluster running afterwards, for inspection (prints how to stop and delete it)" };

var root = new RootCommand("MentorStatus benchmarks: creates its own PostgreSQL 15 cluster, loads data with binary COPY, runs every case next to its baseline, writes BENCHMARKS.md, JSON and an SVG chart.")
{
    sizeOption, runsOption, publishOption, outOption, jsonOption, svgOption, portOption, casesOption, workdirOption, keepOption,
};
root.SetAction(async (parse, invocationToken) =>
{
    var err = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
    // SIGTERM and SIGINT cancel the run instead of killing the process, so that the finally blocks stop
    // and delete the bench's clusters.
    using var cancel = CancellationTokenSource.CreateLinkedTokenSource(invocationToken);
    void Cancel(System.Runtime.InteropServices.PosixSignalContext context)
    {
        context.Cancel = true;
        try { cancel.Cancel(); } catch (AggregateException) { } // first: a slow stderr must not delay it
        err.MarkupLine("[yellow]stopping: cleaning up the bench cluster…[/]");
    }
    using var onTerm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, Cancel);
    using var onInt = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, Cancel);
    var ct = cancel.Token;
    try
    {
        var size = BenchSize.Parse(parse.GetValue(sizeOption)!, parse.GetValue(runsOption));
        var layout = ProjectLayout.Find(parse.GetValue(workdirOption));
        var selected = CaseOrder.Select(parse.GetValue(casesOption));
        var port = parse.GetValue(portOption);
        if (port is not (null or (>= 1024 and <= 65535))) throw new ArgumentException($"--port must be between 1024 and 65535, got {port}.");
        var publish = parse.GetValue(publishOption);
        string Abs(string p) => Path.IsPathRooted(p) ? p : Path.Combine(layout.Root, p);
        var md = Abs(parse.GetValue(outOption) ?? (publish ? "BENCHMARKS.md" : "bench/results/local/bench.md"));
        var json = Abs(parse.GetValue(jsonOption) ?? (publish ? "bench/results/latest.json" : "bench/results/local/bench.json"));
        var svg = Abs(parse.GetValue(svgOption) ?? (publish ? "bench/results/latency.svg" : "bench/results/local/latency.svg"));
        // The tracked report (or one named with --out) is also written by hand: the run's Markdown goes between its
        // generated-section markers only. Broken markers are refused now, not after a run of half an hour.
        var intoSection = publish || parse.GetValue(outOption) is not null;
        if (intoSection) GeneratedSection.Check(md);
        var report = await BenchRun.RunAsync(size, layout, selected, err, Environment.CommandLine, parse.GetValue(keepOption), port, ct);
        foreach (var file in new[] { md, json, svg }) Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        ReportWriter.WriteJson(report, json);
        ReportWriter.WriteSvg(report, svg);
        var mdDir = Path.GetDirectoryName(Path.GetFullPath(md))!;
        var markdown = ReportWriter.Markdown(report, Path.GetRelativePath(mdDir, svg), Path.GetRelativePath(mdDir, json),
            intoSection ? GeneratedSection.Title : "Benchmarks");
        if (!intoSection) await File.WriteAllTextAsync(md, markdown, ct); // bench/results/local/: wholly the bench's
        else if (await GeneratedSection.WriteAsync(md, markdown, ct))
            err.MarkupLineInterpolated($"[yellow]note:[/] {layout.Display(md)} had no generated-section markers: the run's report was added at its end, between new marker lines; move them where the report belongs.");
        var failed = report.Cases.Where(c => c.Error is not null).ToList();
        var missed = report.Cases.SelectMany(c => c.Figures).Where(f => f.Met == false).ToList();
        err.MarkupLineInterpolated($"wrote {layout.Display(md)}, {layout.Display(json)}, {layout.Display(svg)}: {report.Cases.Sum(c => c.Figures.Count)} figures, {missed.Count} targets missed, {failed.Count} cases failed.");
        foreach (var f in missed) err.MarkupLineInterpolated($"[yellow]missed[/] {f.Case}: {f.Measure}: {f.Verdict}");
        foreach (var c in failed) err.MarkupLineInterpolated($"[red]failed[/] {c.Id}: {c.Error}");
        return failed.Count == 0 ? 0 : 1;
    }
    catch (OperationCanceledException)
    {
        err.MarkupLine("[red]cancelled[/]");
        return 130;
    }
    catch (Exception e) when (e is ArgumentException or DirectoryNotFoundException)
    {
        err.MarkupLineInterpolated($"[red]error:[/] {e.Message}");
        return 2;
    }
});
// Give the cancelled run time to stop and delete its clusters: System.CommandLine's default is to return 2 s after
// the signal, and the process then ended in the middle of the cleanup.
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(60) });

namespace MentorStatus.Bench
{
    internal static class CaseOrder
    {
        public static readonly string[] All =
            [ResetCase.Id, LintCase.Id, IndexBuildCase.Id, GrowthCase.Id, TimelineCase.Id, StatusChangeCase.Id, ExpiryJobCase.Id, WebhookDispatchCase.Id, RehearseCopyCase.Id,
             ReadScaleOutCase.Id, PoolerCase.Id];

        public static IReadOnlySet<string> Select(string? list)
        {
            if (string.IsNullOrWhiteSpace(list)) return All.ToHashSet();
            var chosen = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet();
            var unknown = chosen.Except(All).ToList();
            if (unknown.Count > 0) throw new ArgumentException($"unknown case(s) {string.Join(", ", unknown)}; pick from {string.Join(", ", All)}.");
            return chosen;
        }
    }

    /// <summary>One bench run: the reset case on clusters of its own, then the data cluster, its load and the other cases.</summary>
    internal static class BenchRun
    {
        public static async Task<BenchReport> RunAsync(BenchSize size, ProjectLayout layout, IReadOnlySet<string> selected,
            IAnsiConsole err, string commandLine, bool keep, int? port, CancellationToken ct)
        {
            var started = DateTimeOffset.UtcNow;
            var clock = Stopwatch.StartNew();
            var loadAverage = File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
            var cases = new List<CaseResult>();
            var work = Directory.CreateTempSubdirectory("mentorstatus-bench-work-").FullName;
            err.MarkupLineInterpolated($"[bold]MentorStatus bench[/], size {size.Name}: {size.HistoryRows:N0} history rows, {size.Mentors:N0} mentors, {size.Runs} runs per case");

            var cluster = await BenchCluster.CreateAsync("data", BenchCluster.DataSettings, ct, port);
            var postgres = "PostgreSQL (not started)";
            var loadSummary = "no data loaded";
            try
            {
                var tempContext = new BenchContext(size, layout, cluster, null!, null!, null!, err, work);
                if (selected.Contains(ResetCase.Id)) cases.Add(await Guard(ResetCase.Id, () => ResetCase.RunAsync(tempContext, ct), err));
                if (selected.Contains(LintCase.Id)) cases.Add(await Guard(LintCase.Id, () => LintCase.RunAsync(tempContext, ct), err));

                var others = selected.Where(s => s != ResetCase.Id && s != LintCase.Id).ToList();
                if (others.Count > 0)
                {
                    err.MarkupLineInterpolated($"[grey]data cluster in {cluster.Cluster.Directory} on port {cluster.Cluster.Port}…[/]");
                    await cluster.StartAsync(ct);
                    var target = cluster.Target(BenchContext.Database);
                    await DataLoader.ResetSchemaAsync(layout, target, cluster.Cluster.DataDirectory, ct);
                    await using var data = cluster.DataSource(BenchContext.Database);
                    postgres = await ScalarAsync(data, "select version()", ct);
                    var loader = new DataLoader(size, data, err);
                    loadSummary = await loader.LoadAsync(ct);
                    err.MarkupLineInterpolated($"[grey]{loadSummary}[/]");
                    var ctx = new BenchContext(size, layout, cluster, data, loader,
                        new Pgbench(cluster.Cluster.Installation.BinDirectory, cluster.Cluster.Port, cluster.Cluster.Password), err, work);
                    foreach (var id in CaseOrder.All.Where(selected.Contains).Where(id => id != ResetCase.Id && id != LintCase.Id))
                    {
                        cases.Add(await Guard(id, id switch
                        {
                            IndexBuildCase.Id => () => IndexBuildCase.RunAsync(ctx, ct),
                            GrowthCase.Id => () => GrowthCase.RunAsync(ctx, ct),
                            TimelineCase.Id => () => TimelineCase.RunAsync(ctx, ct),
                            StatusChangeCase.Id => () => StatusChangeCase.RunAsync(ctx, ct),
                            ExpiryJobCase.Id => () => ExpiryJobCase.RunAsync(ctx, ct),
                            WebhookDispatchCase.Id => () => WebhookDispatchCase.RunAsync(ctx, ct),
                            RehearseCopyCase.Id => () => RehearseCopyCase.RunAsync(ctx, ct),
                            ReadScaleOutCase.Id => () => ReadScaleOutCase.RunAsync(ctx, ct),
                            PoolerCase.Id => () => PoolerCase.RunAsync(ctx, ct),
                            _ => throw new InvalidOperationException(id),
                        }, err));
                    }
                }
            }
            finally
            {
                if (keep)
                {
                    var how = $"su postgres -c '{cluster.Cluster.Installation.Tool("pg_ctl")} stop -D {cluster.Cluster.DataDirectory}' && rm -rf {cluster.Cluster.Directory}";
                    err.MarkupLineInterpolated($"[yellow]kept[/] the data cluster: {cluster.Target(BenchContext.Database).UrlWithoutPassword} (password in {cluster.Cluster.PassFile}: PGPASSFILE={cluster.Cluster.PassFile} psql …); stop and delete it with: {how}");
                }
                else
                {
                    err.MarkupLine("[grey]stopping and deleting the bench cluster…[/]");
                    await cluster.DisposeAsync();
                }
                try { Directory.Delete(work, recursive: true); } catch (IOException) { }
            }

            var machine = new MachineInfo(Cpu(), Environment.ProcessorCount, Memory(), System.Runtime.InteropServices.RuntimeInformation.OSDescription,
                Environment.Version.ToString(), postgres, BenchCluster.DataSettings, await GitCommitAsync(layout), loadAverage);
            return new BenchReport(started, clock.Elapsed, size, machine, loadSummary, cases, commandLine);
        }

        private static async Task<CaseResult> Guard(string id, Func<Task<CaseResult>> run, IAnsiConsole err)
        {
            var clock = Stopwatch.StartNew();
            err.MarkupLineInterpolated($"[bold]case {id}[/]");
            try
            {
                var result = await run();
                err.MarkupLineInterpolated($"[grey]case {id} done in {clock.Elapsed.TotalSeconds:F1} s[/]");
                foreach (var f in result.Figures)
                    err.MarkupLineInterpolated($"  {f.Measure}: {Figures.F(f.Value)} {f.Unit}{(f.Ratio is { } r ? $" ({r:F2}× {f.BaselineName})" : "")} — {f.Verdict}");
                return result;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                err.MarkupLineInterpolated($"[red]case {id} failed:[/] {e.Message}");
                return new CaseResult(id, id) { Error = $"{e.GetType().Name}: {e.Message}" };
            }
        }

        private static async Task<string> ScalarAsync(Npgsql.NpgsqlDataSource data, string sql, CancellationToken ct)
        {
            await using var command = data.CreateCommand(sql);
            return (string)(await command.ExecuteScalarAsync(ct))!;
        }

        private static string Cpu() =>
            File.Exists("/proc/cpuinfo")
                ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown"
                : "unknown";

        private static string Memory() =>
            File.Exists("/proc/meminfo") && File.ReadLines("/proc/meminfo").FirstOrDefault() is { } line
                ? $"{long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) / 1048576.0:F0} GiB"
                : "unknown";

        private static async Task<string> GitCommitAsync(ProjectLayout layout)
        {
            try
            {
                var info = new ProcessStartInfo("git", ["-C", layout.Root, "rev-parse", "--short", "HEAD"]) { RedirectStandardOutput = true, RedirectStandardError = true };
                using var p = Process.Start(info)!;
                var text = (await p.StandardOutput.ReadToEndAsync()).Trim();
                await p.WaitForExitAsync();
                var dirty = new ProcessStartInfo("git", ["-C", layout.Root, "status", "--porcelain", "--untracked-files=no"]) { RedirectStandardOutput = true };
                using var d = Process.Start(dirty)!;
                var changes = (await d.StandardOutput.ReadToEndAsync()).Trim();
                await d.WaitForExitAsync();
                return changes.Length > 0 ? $"{text} (with uncommitted changes)" : text;
            }
            catch (System.ComponentModel.Win32Exception)
            {
                return "unknown";
            }
        }
    }
}
