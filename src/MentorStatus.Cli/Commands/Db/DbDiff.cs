using System.CommandLine;
using MentorStatus.Cli.Output;
using MentorStatus.Tooling.Declarative;
using MentorStatus.Tooling;

namespace MentorStatus.Cli.Commands.Db;

/// <summary>
/// `db diff [-f NAME]`: builds one throwaway database from the migrations and one from supabase/schemas (on the local
/// cluster or the --db-url server; needs CREATEDB) and compares their catalogs. Without -f it reports the difference
/// (exit 1 when they disagree: the CI check from the command line); with -f it writes the migration and its rollback
/// that close it (<see cref="MigrationDraft"/>), exit 1 when part of it is left as TODO.
/// </summary>
internal static class DbDiff
{
    public static async Task<int> RunAsync(ParseResult parse, string? name, CommandOutput output, CancellationToken ct)
    {
        if (name is not null && DatabaseWorkflow.MigrationNameProblem(name) is { } problem) throw new UsageException(problem);
        var layout = GlobalOptions.Layout(parse);
        if (new DeclarativeSchema(layout).Files().Count == 0)
            throw new UsageException($"no declarative schema in {layout.Display(Path.Combine(layout.SupabaseDirectory, "schemas"))}: db diff compares it with the migrations.");
        var server = await GlobalOptions.TargetAsync(parse, output, ct);
        await using var bench = await DeclarativeWorkbench.CreateAsync(layout, server, output.Progress, ct);
        if (name is null)
        {
            var comparison = await bench.CompareAsync(ct);
            if (output.IsJson) output.WriteJson(new { agrees = comparison.Agrees, differences = comparison.Differences });
            else if (comparison.Agrees) output.Success("supabase/schemas describes exactly what the migrations build");
            else
            {
                output.WriteText(comparison.Describe() + "\n");
                output.Error("supabase/schemas and the migrations disagree: write the migration with `db diff -f NAME`, or correct the declarative files");
            }
            return comparison.Agrees ? CommandAction.Ok : CommandAction.Failed;
        }

        var draft = await MigrationDraft.WriteAsync(bench, name, DateTimeOffset.UtcNow, output.Progress, ct);
        if (output.IsJson)
            output.WriteJson(new { files = draft.Files.Select(layout.Display), complete = draft.Complete, todo = draft.Todo, rollback_todo = draft.RollbackTodo });
        else if (draft.NothingToDo) output.Success("nothing to write: supabase/schemas describes exactly what the migrations build");
        else
        {
            foreach (var file in draft.Files) output.Info($"wrote {layout.Display(file)} and its rollback in supabase/rollbacks/");
            foreach (var line in draft.Todo) output.Error("TODO " + line);
            foreach (var line in draft.RollbackTodo) output.Error("TODO (rollback) " + line);
            if (draft.Complete) output.Success("the draft, applied to the migrations' result, gives supabase/schemas; its rollback restores the catalog. Review it, then `db up`.");
            else output.Error("part of the difference is left as TODO in the files (they refuse to run until it is written by hand)");
        }
        return draft.Complete ? CommandAction.Ok : CommandAction.Failed;
    }
}
