using MentorStatus.Cli.Output;
using MentorStatus.Tooling.Local;

namespace MentorStatus.Cli.Commands.Db;

/// <summary>`db stop`: stops the project's local PostgreSQL; its data stays.</summary>
internal static class DbStop
{
    public static async Task<int> RunAsync(LocalCluster cluster, CommandOutput output, CancellationToken ct)
    {
        var stopped = await cluster.StopAsync(ct);
        if (output.IsJson) output.WriteJson(new { stopped });
        else output.Success(stopped ? "local database stopped" : "local database was not running");
        return CommandAction.Ok;
    }
}
