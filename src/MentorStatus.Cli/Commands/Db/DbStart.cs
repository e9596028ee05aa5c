using MentorStatus.Cli.Output;
using MentorStatus.Tooling.Local;
using Spectre.Console;

namespace MentorStatus.Cli.Commands.Db;

/// <summary>`db start`: creates (first time) and starts the project's local PostgreSQL, then prints its connection string.</summary>
internal static class DbStart
{
    public static async Task<int> RunAsync(LocalCluster cluster, CommandOutput output, CancellationToken ct)
    {
        var started = await cluster.StartAsync(output.Progress, ct);
        if (output.IsJson) output.WriteJson(new { url = cluster.Target().Url, port = cluster.Port, directory = cluster.Directory, started });
        else
        {
            output.Success(started ? "local database started" : "local database already running");
            output.Write(new Grid().AddColumns(2)
                .AddRow("[grey]DB URL[/]", Markup.Escape(cluster.Target().Url))
                .AddRow("[grey]data[/]", Markup.Escape(cluster.DataDirectory))
                .AddRow("[grey]log[/]", Markup.Escape(cluster.LogFile)));
        }
        return CommandAction.Ok;
    }
}
