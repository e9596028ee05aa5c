using MentorStatus.Cli.Output;
using MentorStatus.Tooling;

namespace MentorStatus.Cli.Commands.Db;

/// <summary>`db repair VERSION --status applied|reverted [--yes]`: writes or removes one journal row, within what the consent allows; no migration SQL runs.</summary>
internal static class DbRepair
{
    public static async Task<int> RunAsync(DatabaseWorkflow workflow, string version, string status, DestructiveConsent consent, CommandOutput output, CancellationToken ct)
    {
        var applied = status == "applied";
        await workflow.RepairAsync(version, applied, consent, ct);
        if (output.IsJson) output.WriteJson(new { version, status });
        else output.Success($"journal: {version} marked {(applied ? "applied" : "reverted")}");
        return CommandAction.Ok;
    }
}
