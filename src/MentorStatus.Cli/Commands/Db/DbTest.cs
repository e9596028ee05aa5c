using MentorStatus.Cli.Output;
using MentorStatus.Tooling.Testing;
using MentorStatus.Tooling;

namespace MentorStatus.Cli.Commands.Db;

/// <summary>`db test`: runs every pgTAP file of supabase/tests and prints a summary; exit 1 on any failure or when there is none.</summary>
internal static class DbTest
{
    public static async Task<int> RunAsync(DatabaseWorkflow workflow, CommandOutput output, CancellationToken ct)
    {
        var results = await workflow.TestAsync(new Progress<PgTapFileResult>(r =>
            output.Info($"{(r.Ok ? "ok    " : "FAILED")} {r.File} ({r.Summary})")), ct);
        if (output.IsJson) output.WriteJson(results.Select(r => new { r.File, r.Ok, r.Planned, r.Passed, r.Failures, r.Error, r.Duration }));
        else
        {
            output.Write(Tables.Tests(results));
            foreach (var failure in results.Where(r => !r.Ok))
                output.Error($"{failure.File}: {failure.Summary}\n  {string.Join("\n  ", failure.Failures)}");
        }
        if (results.Count == 0) { output.Error("no pgTAP files in supabase/tests"); return CommandAction.Failed; }
        return results.All(r => r.Ok) ? CommandAction.Ok : CommandAction.Failed;
    }
}
