using System.CommandLine;
using MentorStatus.Cli.Output;
using Npgsql;

namespace MentorStatus.Cli.Commands;

/// <summary>
/// Runs a verb and turns its outcome into one clear line and an exit code. Errors the user can act on (every
/// <see cref="MentorStatusException"/>, a database that refused, a file that cannot be read) get their message;
/// anything else is a bug in this program, reported as an internal error (exit 70), with the stack trace under --verbose.
/// </summary>
internal static class CommandAction
{
    public const int Ok = 0;
    /// <summary>The operation ran and failed (a migration error, drift, a finding, a refusal by the database).</summary>
    public const int Failed = 1;
    /// <summary>Usage error: the command could not run as asked (see <see cref="UsageException"/>, or a command line that does not parse).</summary>
    public const int Usage = 2;
    /// <summary>Internal error: an exception this program did not expect, i.e. a bug (EX_SOFTWARE of sysexits.h).</summary>
    public const int Internal = 70;
    /// <summary>Cancelled by Ctrl+C or SIGTERM (128 + SIGINT, as shells report it).</summary>
    public const int Cancelled = 130;

    public static void Set(Command command, Func<ParseResult, CommandOutput, CancellationToken, Task<int>> action) =>
        command.SetAction((parse, ct) => RunAsync(parse, CommandOutput.For(parse), action, ct));

    /// <summary>Runs <paramref name="action"/> and maps what it throws to an exit code.</summary>
    internal static async Task<int> RunAsync(ParseResult parse, CommandOutput output,
        Func<ParseResult, CommandOutput, CancellationToken, Task<int>> action, CancellationToken ct)
    {
        CommandLineSecrets.Warn(parse, output);
        try
        {
            return await action(parse, output, ct);
        }
        catch (MentorStatusException e) when (e.IsUsageError)
        {
            output.Error(e.Message); // refused before anything changed (a bad option, a target a destructive verb refuses): exit 2
            return Usage;
        }
        catch (MentorStatusException e)
        {
            output.Error(e.Message); // raised on purpose: the message says what failed and what to do
            return Failed;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or TimeoutException)
        {
            output.Error(e.Message); // the system's own: a project file missing, unreadable or malformed; a tool that did not finish
            return Failed;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InvalidPassword)
        {
            output.Error(CommandLineSecrets.WrongPassword(parse, e));
            return Failed;
        }
        catch (PostgresException e)
        {
            var missingObject = e.SqlState is PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.UndefinedFunction
                ? "\n  the database may lack migrations: check with `db status`, then `db up` (or `db reset` locally)."
                : "";
            output.Error($"the database refused: {e.SqlState} {e.MessageText}{(e.Hint is null ? "" : $" (hint: {e.Hint})")}{missingObject}");
            return Failed;
        }
        catch (NpgsqlException e)
        {
            output.Error($"could not talk to the database: {e.Message}; check --db-url, or that `db start` has run.");
            return Failed;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            output.Error("cancelled.");
            return Cancelled;
        }
        catch (Exception e)
        {
            // ArgumentException, InvalidOperationException, NullReferenceException…: our own code broke a rule,
            // not the user. Never dress that up as a usage error.
            output.Error($"internal error: {e.GetType().FullName}: {e.Message}\n" +
                         "  this is a bug in mentorstatus, not a problem with your input; please report it" +
                         (output.IsVerbose ? " with the stack trace below." : ", with the output of the same command run with --verbose."));
            if (output.IsVerbose) output.Detail(e.ToString());
            return Internal;
        }
    }
}
