using System.Globalization;
using MentorStatus.Rehearsal;
using MentorStatus.Tooling.Lint;
using Spectre.Console;

namespace MentorStatus.Cli.Output;

/// <summary>The live progress of `db rehearse` on stderr: a bar of rows copied (against the source's estimate) with bytes.</summary>
internal static class RehearsalProgressBar
{
    public static async Task<RehearsalReport> RunAsync(RehearsalProgress progress, Func<Task<RehearsalReport>> run, CommandOutput output)
    {
        if (!output.StderrIsTerminal)
        {
            // No terminal: one line per phase, which a log keeps readably.
            progress.Phase += phase => output.Info(Phase(phase, progress.Copy));
            return await run();
        }
        var phase = "starting";
        progress.Phase += p => phase = p;
        RehearsalReport? report = null;
        await output.Stderr.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new SpinnerColumn())
            .StartAsync(async ctx =>
            {
                var bar = ctx.AddTask("rehearse", maxValue: 1);
                var task = run();
                while (await Task.WhenAny(task, Task.Delay(100)) != task)
                {
                    var copy = progress.Copy;
                    bar.MaxValue = Math.Max(1, Math.Max(copy.EstimatedRows, copy.Rows));
                    bar.Value = copy.Rows;
                    bar.Description = Markup.Escape(Phase(phase, copy));
                }
                bar.Value = bar.MaxValue;
                report = await task;
            });
        return report!;
    }

    private static string Phase(string phase, CopyProgress copy) =>
        copy.Bytes > 0 ? $"{phase} — {copy.Rows:N0} rows, {RehearsalTables.Bytes(copy.Bytes)}, {copy.TablesDone}/{copy.Tables} tables" : phase;
}

/// <summary>The readable result of `db rehearse` on stdout: one row per statement, then the verdict.</summary>
internal static class RehearsalTables
{
    public static void Write(RehearsalReport report, CommandOutput output)
    {
        var c = report.Copy;
        output.Info($"copied {c.Rows:N0} rows ({Bytes(c.Bytes)}) of {c.Tables} tables{(c.SampledTables > 0 ? $", {c.SampledTables} sampled" : "")} in {c.Duration.TotalSeconds:0.0} s from {report.Source}");
        foreach (var w in c.Warnings) output.Info($"warning: {w}");
        if (c.OwnerRole.Length > 0)
            output.Info($"trust: the copy is owned, loaded and migrated by {c.OwnerRole} (no superuser, no server files or programs): what the source defines runs as it");
        foreach (var n in c.Neutralised) output.Info($"neutralised: {n}");
        foreach (var n in report.Notes) output.Info($"note: {n}");
        if (report.Baseline is { } b)
            output.Info($"baseline before the migrations: {b.Clients} clients, {b.Operations} calls, p50 {b.P50Ms:0.0} ms, p99 {b.P99Ms:0.0} ms, max {b.MaxMs:0.0} ms");

        var table = new Table().Title("db rehearse").Border(TableBorder.Rounded)
            .AddColumns("migration, statement", "time", "locks held (table rows, how long)", "written", "WAL",
                "clients p50/p99/max (calls)", "waited", "max wait", "verdict", "lint");
        foreach (var m in report.Migrations)
        {
            var file = Path.GetFileName(m.File);
            foreach (var s in m.Statements)
            {
                var locks = s.Locks.Count == 0 ? "-" : string.Join("\n", s.Locks.Select(l => l.Describe()));
                var written = s.Written.Count == 0 ? "-" : string.Join("\n", s.Written.Select(w => $"{(w.Rewritten ? "REWRITE" : "new")} {w.Relation} {Bytes(w.Bytes)}"));
                var clients = s.Clients is { } ci ? $"{ci.P50Ms:0}/{ci.P99Ms:0}/{ci.MaxMs:0} ms ({ci.Operations})" : "-";
                var blocked = s.BlockedFor(report.Measured);
                var maxWait = blocked > report.MaxBlock ? $"[red]{RehearsalReport.Ms(blocked)}[/]" : RehearsalReport.Ms(blocked);
                var verdict = s.Verdict switch
                {
                    StatementVerdict.Blocking => "[red]BLOCKING[/]", StatementVerdict.NotMeasured => "[yellow]not measured[/]", _ => "safe",
                } + "\n" + Markup.Escape(LintFinding.Shorten(s.VerdictReason, 60));
                var what = $"{file} #{s.Number} (line {s.Line}){(s.Transactional ? "" : ", no transaction")}\n{LintFinding.Shorten(s.Statement, 70)}";
                table.AddRow(Markup.Escape(what), $"{s.Duration.TotalMilliseconds:0} ms", Markup.Escape(locks), Markup.Escape(written), Bytes(s.WalBytes),
                    clients, s.Clients?.WaitedOnLock.ToString(CultureInfo.InvariantCulture) ?? "-", maxWait, verdict,
                    Markup.Escape(s.LintFindings.Count == 0 ? "-" : string.Join("\n", s.LintFindings.Select(f => LintFinding.Shorten(f, 60)))));
            }
            if (m.Error is not null) table.AddRow(Markup.Escape(file), "", "", "", "", "", "", "", "", $"[red]{Markup.Escape(LintFinding.Shorten(m.Error, 160))}[/]");
            foreach (var f in m.FileLintFindings) table.AddRow(Markup.Escape(file), "", "", "", "", "", "", "", "", Markup.Escape(LintFinding.Shorten(f, 60)));
        }
        output.Write(table);
        if (report.RollbackError is not null) output.Error($"rollback failed: {report.RollbackError}");
        else if (report.SchemaDifferences.Count > 0)
            output.Error($"after the rollbacks the schema differs from the copy's in {report.SchemaDifferences.Count} place(s):\n  " + string.Join("\n  ", report.SchemaDifferences.Take(20)));
        else if (report.Migrations.Count > 0) output.Info("rollback: every rollback ran and the schema is back to the copy's snapshot");
        if (report.Phases.Count > 0)
            output.Info($"took {report.Phases.Where(p => !p.Overlapped).Sum(p => p.Duration.TotalSeconds):0.0} s: " +
                        string.Join(", ", report.Phases.Select(p => $"{p.Phase} {p.Duration.TotalSeconds:0.00} s")));
        if (report.KeptClusterUrl is { } url)
            output.Info($"kept the throwaway cluster: {url} (password in {report.KeptClusterPassFile}); connect with: {report.KeptClusterConnectCommand}; " +
                        $"stop and delete it with: {report.KeptClusterStopCommand}");
        if (report.Ok) output.Success(report.Verdict);
        else output.Error(report.Verdict);
    }

    public static string Bytes(long bytes) => bytes switch
    {
        >= 1L << 30 => $"{bytes / (double)(1L << 30):0.0} GiB",
        >= 1L << 20 => $"{bytes / (double)(1L << 20):0.0} MiB",
        >= 1L << 10 => $"{bytes / 1024.0:0} KiB",
        _ => $"{bytes} B",
    };
}
