using System.CommandLine;
using MentorStatus.Cli.Output;
using MentorStatus.Database.Migrations;

namespace MentorStatus.Cli.Commands.Db;

/// <summary>
/// `db status`: the local and applied migrations side by side; exit 1 on drift or a journal version without a file.
/// Outside a project with --db-url, the journal is compared with the migrations built into this program instead.
/// </summary>
internal static class DbStatus
{
    public static async Task<int> RunAsync(ParseResult parse, MigrationOptions options, CommandOutput output, CancellationToken ct)
    {
        MigrationPlan plan;
        var builtIn = GlobalOptions.ExplicitUrl(parse) is not null && GlobalOptions.TryLayout(parse, out _) is null;
        if (builtIn)
        {
            // Only the journal is read: no project files are needed, and the reference is the schema this build ships.
            var source = MentorStatusMigrations.Source;
            output.Info($"no supabase/config.toml here or above: comparing the journal with the {source.LoadMigrations().Count} " +
                        "migrations built into this mentorstatus");
            await using var dataSource = (await GlobalOptions.TargetAsync(parse, output, ct)).CreateDataSource();
            plan = await new MigrationRunner(dataSource, source, options, output.Progress, output.Logger(typeof(MigrationRunner).FullName!))
                .PlanAsync(ct);
        }
        else plan = await (await DbCommands.WorkflowAsync(parse, output, ct)).StatusAsync(ct);
        if (output.IsJson) output.WriteJson(new { migrations = plan.States, out_of_order = plan.OutOfOrder });
        else output.Write(Tables.Status(plan));
        return plan.Drifted.Count > 0 || (!builtIn && plan.UnknownApplied.Count > 0) ? CommandAction.Failed : CommandAction.Ok;
    }
}
