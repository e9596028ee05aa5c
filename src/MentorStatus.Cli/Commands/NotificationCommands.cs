using System.CommandLine;
using MentorStatus.Notifications;
using Microsoft.Extensions.Configuration;
using Spectre.Console;

namespace MentorStatus.Cli.Commands;

/// <summary>`notifications dispatch|list|retry`: deliver the coordinator notification outbox and look after it.</summary>
internal static class NotificationCommands
{
    public static Command Build()
    {
        var notifications = new Command("notifications",
            CliCommands.Describe("The coordinator notification outbox the jobs write: deliver it (inbox, email, webhook) and look after it.",
                "mentorstatus notifications dispatch --channel inbox",
                "mentorstatus notifications list --status failed"));
        notifications.Subcommands.Add(Dispatch());
        notifications.Subcommands.Add(List());
        notifications.Subcommands.Add(Retry());
        return notifications;
    }

    private const string HowToConfigure =
        "Configure a channel: --channel inbox (the app's in-app inbox), --channel email (with MentorStatus:Notifications:Smtp:Host and :FromAddress),\n" +
        "--channel webhook (with MentorStatus:Notifications:Webhook:Url and :Secret); or list them in appsettings.json\n" +
        "(\"MentorStatus\": { \"Notifications\": { \"Channels\": [\"inbox\", \"email\"] } }) or MENTORSTATUS__NOTIFICATIONS__CHANNELS=inbox,email.\n" +
        "--channel console only prints to stderr, for local development.";

    private static Command Dispatch()
    {
        var channel = new Option<string[]>("--channel")
        {
            Description = "Deliver over these channels (repeat or comma-separate): inbox, email, webhook; console = stderr only, for local development.\n" +
                          "Overrides MentorStatus:Notifications:Channels.",
            AllowMultipleArgumentsPerToken = true,
        };
        var set = new Option<string[]>("--set")
        {
            Description = "Any setting as KEY=VALUE, e.g. --set MentorStatus:Notifications:Smtp:Host=smtp.example.no (wins over appsettings.json and environment).",
        };
        var maxAttempts = new Option<int?>("--max-attempts") { Description = "Attempts before a notification is marked failed (default 8; MentorStatus:Notifications:Dispatcher:MaxAttempts)." };
        var concurrency = new Option<int?>("--concurrency") { Description = "Notifications delivered at once (default 8; MentorStatus:Notifications:Dispatcher:MaxConcurrency)." };
        var command = new Command("dispatch",
            "Deliver every due notification of finished job runs over the configured channels, mark it sent only when a channel\n" +
            "accepted it, and retry failures with exponential backoff until MaxAttempts, then mark them failed with the last error.\n" +
            "Safe to run from several places at once and after a crash (a redelivery carries the same idempotency key).\n\n" +
            HowToConfigure + "\n\n" +
            "Examples:\n" +
            "  mentorstatus notifications dispatch --channel inbox,email\n" +
            "  MENTORSTATUS__NOTIFICATIONS__WEBHOOK__URL=https://x.supabase.co/functions/v1/notify \\\n" +
            "  MENTORSTATUS__NOTIFICATIONS__WEBHOOK__SECRET=whsec_... mentorstatus notifications dispatch --channel webhook --json\n" +
            "  mentorstatus notifications dispatch --channel console      # local development: prints, reaches nobody")
        { Options = { channel, set, maxAttempts, concurrency } };
        CommandAction.Set(command, async (parse, output, ct) =>
        {
            // Everything is checked before the database is touched: a bad setting changes nothing.
            var overrides = new Dictionary<string, string?>();
            if (parse.GetValue(maxAttempts) is { } m) overrides[$"{NotificationDispatcherOptions.SectionName}:MaxAttempts"] = m.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (parse.GetValue(concurrency) is { } c) overrides[$"{NotificationDispatcherOptions.SectionName}:MaxConcurrency"] = c.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var configuration = CliConfiguration.Build(parse.GetValue(set) ?? [], overrides);
            var names = NotificationChannels.Normalise(parse.GetValue(channel) is { Length: > 0 } chosen ? chosen : NotificationChannels.ConfiguredNames(configuration.GetSection(NotificationChannelsOptions.SectionName)));
            if (names.Count == 0)
                throw new UsageException("no notification channel is configured, so nothing was sent and nothing changed.\n" + HowToConfigure);
            var smtp = CliConfiguration.Bind<SmtpChannelOptions>(configuration, SmtpChannelOptions.SectionName);
            var webhook = CliConfiguration.Bind<WebhookChannelOptions>(configuration, WebhookChannelOptions.SectionName);
            var dispatcherOptions = CliConfiguration.Bind<NotificationDispatcherOptions>(configuration, NotificationDispatcherOptions.SectionName);
            var problems = NotificationChannels.Problems(names, smtp, webhook).ToList();
            if (dispatcherOptions.Problem() is { } p) problems.Add(p);
            if (problems.Count > 0)
                throw new UsageException("nothing was sent and nothing changed: " + string.Join("; ", problems) +
                                         ".\nSet them in appsettings.json, as MENTORSTATUS__... environment variables, or with --set KEY=VALUE.");
            if (names.Contains(ConsoleChannel.ChannelName))
                output.Info("the console channel only prints to stderr, for local development: a notification it \"delivers\" reaches no coordinator.");

            await using var dataSource = await JobCommands.DataSourceAsync(parse, output, ct);
            using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan }; // each channel bounds its own requests
            var channels = NotificationChannels.Create(names, dataSource, smtp, webhook, http, output.ErrorWriter);
            var dispatcher = new NotificationDispatcher(dataSource, channels, options: dispatcherOptions);
            var result = await dispatcher.DispatchAsync(output.Progress, ct);
            if (output.IsJson) output.WriteJson(new { channels = names, result.Sent, result.Retrying, result.Failed });
            else output.Success($"{result.Sent} sent, {result.Retrying} to retry later, {result.Failed} given up (channels: {string.Join(", ", names)})");
            return result.Failed > 0 ? CommandAction.Failed : CommandAction.Ok;
        });
        return command;
    }

    private static Command List()
    {
        var status = new Option<string?>("--status") { Description = "Only these: pending (never tried), retrying (failed, will retry), sending (claimed now), sent, failed (given up)." };
        status.AcceptOnlyFromAmong([.. NotificationOutbox.Statuses]);
        var run = new Option<string?>("--run") { Description = "Only the notifications of this job run (status_job_runs.id)." };
        var limit = new Option<int>("--limit") { Description = "Most rows shown, newest first.", DefaultValueFactory = _ => 100 };
        var command = new Command("list",
            "List outbox notifications, newest first, with each channel's outcome and the last error.\n\n" +
            "Examples:\n  mentorstatus notifications list --status failed\n  mentorstatus notifications list --run 3f2c... --json")
        { Options = { status, run, limit } };
        CommandAction.Set(command, async (parse, output, ct) =>
        {
            Guid? runId = parse.GetValue(run) is { } text
                ? Guid.TryParse(text, out var g) ? g : throw new UsageException($"--run \"{text}\" is not a job run id (a uuid); `notifications list` shows them.")
                : null;
            if (parse.GetValue(limit) < 1) throw new UsageException("--limit must be at least 1.");
            await using var dataSource = await JobCommands.DataSourceAsync(parse, output, ct);
            var entries = await new NotificationOutbox(dataSource).ListAsync(parse.GetValue(status), runId, parse.GetValue(limit), ct);
            if (output.IsJson) { output.WriteJson(entries); return CommandAction.Ok; }
            var table = new Table().Title("coordinator notifications").Border(TableBorder.Rounded)
                .AddColumns("id", "run", "coordinator", "status", "attempts", "mentors", "channels", "last error");
            foreach (var e in entries)
                table.AddRow(e.Id.ToString(), e.JobRunId.ToString()[..8], e.CoordinatorUserId.ToString()[..8],
                    e.Status switch
                    {
                        DeliveryStatus.Sent => "[green]sent[/]", DeliveryStatus.Failed => "[red]failed[/]", DeliveryStatus.Retrying => "[yellow]retrying[/]",
                        var s => s.ToDatabase(),
                    },
                    e.Attempts.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    $"{e.Mentors}{(e.FellBackToOrganisation ? " [yellow](fallback)[/]" : "")}",
                    Markup.Escape(PrintableText.Clean(string.Join(", ", e.Channels.Select(ch => $"{ch.Channel}: {ch.Outcome}")))),
                    // a stored error is text a remote server chose: no escape sequence reaches the terminal
                    Markup.Escape(PrintableText.Clean(e.LastError)));
            output.Write(table);
            output.Success($"{entries.Count} notification(s)");
            return CommandAction.Ok;
        });
        return command;
    }

    private static Command Retry()
    {
        var id = new Argument<string?>("ID") { Description = "The notification to requeue (a failed one).", Arity = ArgumentArity.ZeroOrOne };
        var failed = new Option<bool>("--failed") { Description = "Requeue every failed notification." };
        var command = new Command("retry",
            "Requeue given-up (failed) notifications: attempts start again from 0 and only the channels that failed are tried again\n" +
            "(a channel that delivered is not repeated). The next `notifications dispatch` sends them.\n\n" +
            "Examples:\n  mentorstatus notifications retry 6b1d...\n  mentorstatus notifications retry --failed --json")
        { Arguments = { id }, Options = { failed } };
        CommandAction.Set(command, async (parse, output, ct) =>
        {
            var text = parse.GetValue(id);
            var all = parse.GetValue(failed);
            if ((text is null) == !all) throw new UsageException("give either a notification ID or --failed (not both).");
            Guid? one = text is null ? null
                : Guid.TryParse(text, out var g) ? g : throw new UsageException($"\"{text}\" is not a notification id (a uuid); `notifications list --status failed` shows them.");
            await using var dataSource = await JobCommands.DataSourceAsync(parse, output, ct);
            var requeued = await new NotificationOutbox(dataSource).RetryAsync(one, ct);
            if (output.IsJson) output.WriteJson(new { requeued });
            else output.Success($"{requeued.Count} notification(s) requeued; `notifications dispatch` sends them.");
            return CommandAction.Ok;
        });
        return command;
    }
}
