using MentorStatus.Cli.Output;
using MentorStatus.Tooling;

namespace MentorStatus.Cli.Commands.Db;

/// <summary>`db reset`: recreates the database (platform layer where missing, every migration, the seed) within what <paramref name="consent"/> allows.</summary>
internal static class DbReset
{
    public static async Task<int> RunAsync(DatabaseWorkflow workflow, DestructiveConsent consent, CommandOutput output, CancellationToken ct)
    {
        var result = await workflow.ResetAsync(consent, ct);
        if (output.IsJson)
        {
            output.WriteJson(new { url = workflow.Target.Url, platform_layer_installed = result.PlatformLayerInstalled, result.Reverted, result.Applied, result.Seed });
            return CommandAction.Ok;
        }
        if (result.PlatformLayerInstalled) output.Info("the Supabase platform layer (roles, auth schema, default privileges) was installed before the migrations");
        var rows = result.Reverted.Concat(result.Applied).ToList();
        if (result.Seed is { } seed) rows.Add(seed);
        output.Write(Tables.Results(rows, "db reset"));
        output.Success($"database reset: {result.Applied.Count} migration(s) applied{(result.Seed is null ? "" : ", seed loaded")} — {workflow.Target.Url}");
        return CommandAction.Ok;
    }
}
