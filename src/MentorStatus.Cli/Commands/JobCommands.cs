using System.CommandLine;
using System.Globalization;
using MentorStatus.Cli.Output;
using MentorStatus.Notifications;
using Spectre.Console;

namespace MentorStatus.Cli.Commands;

/// <summary>`job certification-expiry`: the nightly job, run by hand or by a scheduler.</summary>
internal static class JobCommands
{
    public static Command Build()
    {
        var job = new Command("job", "Run the automated mentor-status jobs (schedule them nightly: see docs/scheduling.md).\n\n" +
            "Examples:\n  mentorstatus job certification-expiry --dry-run");
        job.Subcommands.Add(CertificationExpiry());
        return job;
    }

    /// <summary>The verified data source every mentor-status verb works on.</summary>
    internal static async Task<Npgsql.NpgsqlDataSource> DataSourceAsync(ParseResult parse, Output.CommandOutput output, CancellationToken ct) =>
        await MentorStatusDataSource.CreateVerifiedAsync((await GlobalOptions.TargetAsync(parse, output, ct)).ConnectionString, ct);

    internal static DateTimeOffset? ParseInstant(string? text, string option) =>
        text is null ? null
        : DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var value) ? value
        : throw new UsageException($"{option} \"{text}\" is not an instant; use ISO 8601, e.g. 2026-11-30T02:00:00Z.");

    private static Command CertificationExpiry()
    {
        var asOf = new Option<string?>("--as-of") { Description = "Judge certifications as of this instant (ISO 8601; default: now; not in the future, except with --dry-run). Expired = expires at or before it." };
        var batchSize = new Option<int>("--batch-size") { Description = "Mentors paused per batch; each batch is one statement in one transaction.", DefaultValueFactory = _ => CertificationExpiryJobOptions.DefaultBatchSize };
        var dryRun = new Option<bool>("--dry-run") { Description = "List who would be paused and which coordinators would be told; change nothing." };
        var command = new Command("certification-expiry",
            "Pause every active mentor whose certification has expired (reason certification_expired, no user, one job run id),\n" +
            "batch by batch; when the run ends, one notification per coordinator goes to the outbox (`notifications dispatch` sends them).\n" +
            "Safe to rerun and to run twice at once: nobody is paused twice; a run killed between batches is finished by the next.\n\n" +
            "Examples:\n" +
            "  mentorstatus job certification-expiry --dry-run\n" +
            "  mentorstatus job certification-expiry --as-of 2026-11-30T02:00:00Z --batch-size 500 --json")
        { Options = { asOf, batchSize, dryRun } };
        CommandAction.Set(command, async (parse, output, ct) =>
        {
            var instant = ParseInstant(parse.GetValue(asOf), "--as-of");
            if (parse.GetValue(batchSize) < 1) throw new UsageException("--batch-size must be at least 1.");
            // a run as of the future would pause certifications that have not expired; a dry run only looks ahead
            if (instant is { } at && at > DateTimeOffset.UtcNow && !parse.GetValue(dryRun))
                throw new UsageException($"--as-of {at:u} is in the future: the run would pause certifications that have not expired yet. " +
                    "Leave --as-of out to run as of now, pass an earlier instant, or add --dry-run to see who will have expired by then.");
            await using var dataSource = await DataSourceAsync(parse, output, ct);
            var job = new CertificationExpiryJob(dataSource, options: new CertificationExpiryJobOptions { BatchSize = parse.GetValue(batchSize) });

            if (parse.GetValue(dryRun))
            {
                var list = await job.DryRunAsync(instant, ct);
                if (output.IsJson) { output.WriteJson(new { dry_run = true, as_of = instant ?? DateTimeOffset.UtcNow, mentors = list }); return CommandAction.Ok; }
                var table = new Table().Title("would pause (dry run)").Border(TableBorder.Rounded)
                    .AddColumns("mentor", "name", "certification expired", "coordinators told", "fallback");
                foreach (var m in list)
                    table.AddRow(m.MentorId.ToString(), Markup.Escape(PrintableText.Clean(m.DisplayName)), m.CertificationExpiresAt.ToString("u"),
                        m.CoordinatorUserIds.Count == 0 ? "[red]none[/]" : m.CoordinatorUserIds.Count.ToString(CultureInfo.InvariantCulture),
                        m.FellBackToOrganisation ? "[yellow]organisation[/]" : "");
                output.Write(table);
                output.Success($"{list.Count} mentor(s) would be paused; nothing was changed");
                return CommandAction.Ok;
            }

            JobRunResult? result = null;
            await output.Stderr.Progress()
                .AutoClear(true)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                .StartAsync(async context =>
                {
                    var task = context.AddTask("pausing expired mentors", maxValue: 1);
                    var progress = new Reporter(r =>
                    {
                        task.MaxValue = Math.Max(1, r.EligibleAtStart);
                        task.Value = r.PausedSoFar;
                        task.Description = $"batch {r.Batch}: {r.PausedSoFar} paused";
                    });
                    result = await job.RunAsync(instant, progress, ct);
                    task.Value = task.MaxValue;
                });

            var run = result!;
            if (output.IsJson) { output.WriteJson(run); return CommandAction.Ok; }
            output.Write(new Table().Title("certification-expiry").Border(TableBorder.Rounded).AddColumns("", "")
                .HideHeaders()
                .AddRow("[grey]run[/]", run.RunId.ToString())
                .AddRow("[grey]as of[/]", run.AsOf.ToString("u"))
                .AddRow("[grey]outcome[/]", $"[green]{run.Outcome}[/]")
                .AddRow("[grey]mentors paused[/]", run.MentorsPaused.ToString(CultureInfo.InvariantCulture))
                .AddRow("[grey]batches[/]", run.Batches.ToString(CultureInfo.InvariantCulture))
                .AddRow("[grey]notifications written[/]", run.NotificationsWritten.ToString(CultureInfo.InvariantCulture))
                .AddRow("[grey]abandoned runs closed[/]", run.AbandonedRunsMarked.ToString(CultureInfo.InvariantCulture))
                .AddRow("[grey]time[/]", $"{(run.FinishedAt - run.StartedAt).TotalMilliseconds:0} ms"));
            output.Success($"{run.MentorsPaused} mentor(s) paused; run `mentorstatus notifications dispatch` to tell their coordinators");
            return CommandAction.Ok;
        });
        return command;
    }

    /// <summary>Reports on the caller's thread (Progress&lt;T&gt; would post to the thread pool after the run ended).</summary>
    private sealed class Reporter(Action<JobProgress> report) : IProgress<JobProgress>
    {
        public void Report(JobProgress value) => report(value);
    }
}
