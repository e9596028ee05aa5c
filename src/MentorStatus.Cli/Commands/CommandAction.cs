using System.CommandLine;
using MentorStatus.Database.Local;
using MentorStatus.Database.Migrations;
using Npgsql;

namespace MentorStatus.Cli.Commands;

/// <summary>Runs a verb and turns the errors we expect into one clear line and an exit code, never a stack trace.</summary>
internal static class CommandAction
{
    public const int Ok = 0;
    public const int Failed = 1;
    /// <summary>Usage error: the command could not run as asked (see <see cref="UsageException"/>).</summary>
    public const int Usage = 2;

    public static void Set(Command command, Func<ParseResult, Output.Console, CancellationToken, Task<int>> action) =>
        command.SetAction(async (parse, ct) =>
        {
            var console = new Output.Console(parse);
            try
            {
                return await action(parse, console, ct);
            }
            catch (UsageException e)
            {
                console.Error(e.Message);
                return Usage;
            }
            catch (Exception e) when (e is MigrationException or LocalDatabaseException or SqlSyntaxException
                                          or DirectoryNotFoundException or ArgumentException or InvalidOperationException
                                          or MentorStatus.MentorStatusException)
            {
                console.Error(e.Message);
                return Failed;
            }
            catch (PostgresException e)
            {
                var missingObject = e.SqlState is PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.UndefinedFunction
                    ? "\n  the database may lack migrations: check with `db status`, then `db up` (or `db reset` locally)."
                    : "";
                console.Error($"the database refused: {e.SqlState} {e.MessageText}{(e.Hint is null ? "" : $" (hint: {e.Hint})")}{missingObject}");
                return Failed;
            }
            catch (NpgsqlException e)
            {
                console.Error($"could not talk to the database: {e.Message}; check --db-url, or that `db start` has run.");
                return Failed;
            }
            catch (OperationCanceledException)
            {
                console.Error("cancelled.");
                return 130;
            }
        });
}
