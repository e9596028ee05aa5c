using MentorStatus.Cli.Output;
using MentorStatus.Tooling;

namespace MentorStatus.Cli.Commands.Db;

/// <summary>`db repair VERSION --status applied|reverted`: writes or removes one journal row; no migration SQL runs.</summary>
internal static class DbRepair
{
    public static async Task<int> RunAsync(DatabaseWorkflow workflow, string version, string status, CommandOutput output, CancellationToken ct)
    {
        var applied = status == "applied";
        await workflow.RepairAsync(version, applied, ct);
        if (output.IsJson) output.WriteJson(new { version, status });
        else output.Success($"journal: {version} marked {(applied ? "applied" : "reverted")}");
        return CommandAction.Ok;
    }
}
