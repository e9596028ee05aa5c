using MentorStatus.Cli.Output;
using MentorStatus.Tooling;

namespace MentorStatus.Cli.Commands.Db;

/// <summary>`db down`: reverts the newest <c>last</c> applied migrations with their rollback scripts, within what the consent allows.</summary>
internal static class DbDown
{
    public static async Task<int> RunAsync(DatabaseWorkflow workflow, int last, DestructiveConsent consent, CommandOutput output, CancellationToken ct)
    {
        var results = await workflow.DownAsync(last, consent, ct);
        if (output.IsJson) output.WriteJson(results);
        else if (results.Count == 0) output.Success("nothing to revert: no migration is applied");
        else
        {
            output.Write(Tables.Results(results, "db down"));
            output.Success($"{results.Count} migration(s) reverted");
        }
        return CommandAction.Ok;
    }
}
