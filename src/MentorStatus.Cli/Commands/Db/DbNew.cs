using System.CommandLine;
using MentorStatus.Cli.Output;
using MentorStatus.Tooling;

namespace MentorStatus.Cli.Commands.Db;

/// <summary>`db new NAME`: writes supabase/migrations/&lt;UTC timestamp&gt;_NAME.sql and its rollback; a bad name is a usage error.</summary>
internal static class DbNew
{
    public static int Run(ParseResult parse, string name, CommandOutput output)
    {
        if (DatabaseWorkflow.MigrationNameProblem(name) is { } problem) throw new UsageException(problem);
        var layout = GlobalOptions.Layout(parse);
        var (migration, rollback) = DatabaseWorkflow.NewMigration(layout, name, DateTimeOffset.UtcNow);
        if (output.IsJson) output.WriteJson(new { migration = layout.Display(migration), rollback = layout.Display(rollback) });
        else output.Success($"created {layout.Display(migration)} and {layout.Display(rollback)}");
        return CommandAction.Ok;
    }
}
