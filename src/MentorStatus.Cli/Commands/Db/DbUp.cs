using MentorStatus.Cli.Output;
using MentorStatus.Tooling;

namespace MentorStatus.Cli.Commands.Db;

/// <summary>`db up`: applies the pending migrations in version order and lists them.</summary>
internal static class DbUp
{
    public static async Task<int> RunAsync(DatabaseWorkflow workflow, CommandOutput output, CancellationToken ct)
    {
        var results = await workflow.UpAsync(ct);
        if (output.IsJson) output.WriteJson(results);
        else if (results.Count == 0) output.Success("nothing to apply: the database is up to date");
        else
        {
            output.Write(Tables.Results(results, "db up"));
            output.Success($"{results.Count} migration(s) applied");
        }
        return CommandAction.Ok;
    }
}
