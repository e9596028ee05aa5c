using System.CommandLine;

namespace MentorStatus.Cli.Commands;

/// <summary>`notifications dispatch`: deliver the coordinator notification outbox.</summary>
internal static class NotificationCommands
{
    public static Command Build()
    {
        var notifications = new Command("notifications", "The coordinator notification outbox the jobs write.");
        notifications.Subcommands.Add(Dispatch());
        return notifications;
    }

    private static Command Dispatch()
    {
        var command = new Command("dispatch",
            "Send every due notification of finished job runs (the default sender writes one line per notification to stderr),\n" +
            "mark it sent, and schedule failed ones for a retry with exponential backoff. Safe to run from several places at once.");
        CommandAction.Set(command, async (parse, console, ct) =>
        {
            await using var dataSource = await JobCommands.DataSourceAsync(parse, console, ct);
            var dispatcher = new NotificationDispatcher(dataSource, new LoggingNotificationSender(System.Console.Error));
            var result = await dispatcher.DispatchAsync(console.Progress, ct);
            if (console.IsJson) console.WriteJson(result);
            else console.Success($"{result.Sent} sent, {result.Retrying} to retry later, {result.Failed} given up");
            return result.Failed > 0 ? CommandAction.Failed : CommandAction.Ok;
        });
        return command;
    }
}
