using System.CommandLine;
using MentorStatus.Cli.Output;
using MentorStatus.Database;
using MentorStatus.Rehearsal;
using Spectre.Console;

namespace MentorStatus.Cli.Commands;

/// <summary>`db rehearse`: the pending migrations on a throwaway copy of production, measured under load, then rolled back.</summary>
internal static class RehearseCommand
{
    /// <summary>Exit code when nothing failed or blocked but a statement could not be judged ("not measured"): never 0.</summary>
    public const int NotMeasured = 3;

    public static Command Build()
    {
        var from = new Option<string?>("--from")
        {
            Description = "The production database to copy (read only): a postgresql://USER@HOST:PORT/DB URL or a connection string. " +
                          "Use a role that can only read (e.g. a member of pg_read_all_data). One with a password belongs in MENTORSTATUS_REHEARSE_FROM, " +
                          "not on the command line (every user sees it in ps); or keep the password in a passfile (PGPASSFILE).",
        };
        var sample = new Option<double?>("--sample")
        {
            Description = "Copy this percentage of the owner tables' rows (tables others belong to by ON DELETE CASCADE, e.g. peer_mentors), " +
                          "with all their children; reference tables whole. The same rows every run.",
        };
        var tables = new Option<string[]>("--tables")
        {
            Description = "Copy the rows of these tables only (schema.table; public assumed), plus the tables they reference and the migration journal; the rest empty.",
            AllowMultipleArgumentsPerToken = true,
        };
        var load = new Option<int>("--load") { Description = "Synthetic clients reading timelines and changing statuses (as signed-in mentors) during the migrations.", DefaultValueFactory = _ => 0 };
        var maxBlock = new Option<double>("--max-block")
        {
            Description = "Seconds a statement may keep writers waiting: a lock that blocks writers (SHARE or stronger) on a table with rows held longer, " +
                          "or a synthetic client's wait longer, is blocking (exit 1).",
            DefaultValueFactory = _ => 1,
        };
        var lockTimeout = new Option<double>("--lock-timeout") { Description = "The lock_timeout `db up` will use (seconds), as its own --lock-timeout.", DefaultValueFactory = _ => 10 };
        var jobs = new Option<int>("--jobs") { Description = "Parallel copy streams and pg_restore jobs.", DefaultValueFactory = _ => Math.Clamp(Environment.ProcessorCount, 1, 4) };
        var keep = new Option<bool>("--keep") { Description = "Leave the throwaway cluster running afterwards; print its URL and the command that stops it and deletes its folder." };
        var iKnow = new Option<bool>("--i-know") { Description = "Accept a --from role that could write (superuser, owner, or write privileges). It is still only read, in read-only sessions." };

        var command = new Command("rehearse",
            "Copy production (read only) into a throwaway local PostgreSQL 15, apply the pending migrations there exactly as `db up` would,\n" +
            "measure each statement (time, locks and how long they were held, table rewrites, bytes and WAL written, and with --load the\n" +
            "latency the synthetic clients saw), roll back with supabase/rollbacks and compare the schema. The lint's findings are shown\n" +
            "beside the figures. The throwaway cluster lives under the system temp folder and is deleted at the end, also after an\n" +
            "error or Ctrl+C (unless --keep).\n\n" +
            "Exit codes: 0 safe to apply online; 1 a statement blocks writers longer than --max-block (by the lock it holds, or as a\n" +
            "client waited), a migration failed, the rollback did not restore the schema, or the source could not be read; 2 usage\n" +
            "(bad options, a source role that can write); 3 not measured: a statement held row locks longer than --max-block and no\n" +
            "synthetic client wrote to its tables meanwhile (no --load, or the clients stopped early): never called safe.\n\n" +
            "Examples:\n" +
            "  export MENTORSTATUS_REHEARSE_FROM=\"$PROD_RO_URL\"     # the URL with its password: in the environment, not in ps\n" +
            "  mentorstatus db rehearse --load 8\n" +
            "  mentorstatus db rehearse --sample 10 --max-block 0.5 --json\n" +
            "  mentorstatus db rehearse --tables public.peer_mentors public.peer_mentor_status_history --keep\n" +
            "  PGPASSFILE=~/.pgpass mentorstatus db rehearse --from postgresql://rehearse@db.example.supabase.co:5432/postgres   # no password in the URL")
        { Options = { from, sample, tables, load, maxBlock, lockTimeout, jobs, keep, iKnow } };

        CommandAction.Set(command, async (parse, output, ct) =>
        {
            var url = parse.GetValue(from) ?? (Environment.GetEnvironmentVariable("MENTORSTATUS_REHEARSE_FROM") is { Length: > 0 } env ? env : null)
                ?? throw new UsageException("the database to copy is required: set MENTORSTATUS_REHEARSE_FROM to its URL (e.g. postgresql://rehearse:PASSWORD@HOST:5432/postgres; " +
                                            "in the environment, not on the command line), or give --from postgresql://rehearse@HOST:5432/postgres with the password in a passfile (PGPASSFILE).");
            RehearsalOptions options;
            try
            {
                options = new RehearsalOptions
                {
                    Source = GlobalOptions.ParseUrl(url, "--from"),
                    SamplePercent = parse.GetValue(sample),
                    Tables = parse.GetValue(tables) ?? [],
                    LoadClients = parse.GetValue(load),
                    MaxBlock = Seconds(parse.GetValue(maxBlock), "--max-block"),
                    LockTimeout = Seconds(parse.GetValue(lockTimeout), "--lock-timeout"),
                    Jobs = parse.GetValue(jobs),
                    Keep = parse.GetValue(keep),
                    AcceptWritableSource = parse.GetValue(iKnow),
                };
                options.Validate();
            }
            catch (ArgumentException e) // RehearsalOptions.Validate judges only the options
            {
                throw new UsageException(e.Message);
            }

            // Ctrl+C and SIGTERM cancel the run, so that the finally blocks stop and delete the throwaway cluster.
            // System.CommandLine cancels `ct` on both already; its handler runs first and then waits for the command to
            // end, so the message is said from the cancellation itself (registered first, it runs after every other
            // callback: the cancel requests and process kills are never held up by a slow stderr).
            using var cancel = CancellationTokenSource.CreateLinkedTokenSource(ct);
            using var announce = cancel.Token.Register(() => output.Info("stopping: deleting the throwaway cluster…"));
            void Stop(System.Runtime.InteropServices.PosixSignalContext context)
            {
                // Never the default action (ending the process at once), also on a second signal during the cleanup:
                // the cleanup goes on and the command ends when the cluster is gone.
                context.Cancel = true;
                try { cancel.Cancel(); } catch (AggregateException) { } // a failing token callback must not kill the signal thread
            }
            using var onInt = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, Stop);
            using var onTerm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, Stop);

            var progress = new RehearsalProgress();
            var rehearsal = new MigrationRehearsal(GlobalOptions.Layout(parse), options, progress);
            var run = RehearsalProgressBar.RunAsync(progress, () => rehearsal.RunAsync(cancel.Token), output);
            // System.CommandLine returns from the command 30 s after a signal even if it is still running, and the
            // process then ends: it must not end in the middle of deleting the cluster, so process exit waits for it.
            void WaitForCleanUp(object? sender, EventArgs e)
            {
                try { run.Wait(TimeSpan.FromMinutes(2), CancellationToken.None); } catch (AggregateException) { }
            }
            AppDomain.CurrentDomain.ProcessExit += WaitForCleanUp;
            RehearsalReport report;
            try
            {
                report = await run;
            }
            catch (Exception) when (cancel.IsCancellationRequested)
            {
                // Whatever the interrupted step threw (a killed pg_restore, a cancelled query), the run was cancelled;
                // the finally blocks below it have stopped and deleted the throwaway cluster.
                output.Error("cancelled: the throwaway cluster was stopped and deleted.");
                return CommandAction.Cancelled;
            }
            catch (RehearsalException e) when (e.InnerException is Npgsql.PostgresException { SqlState: Npgsql.PostgresErrorCodes.InvalidPassword } refused)
            {
                output.Error(CommandLineSecrets.WrongPassword(parse, refused));
                return CommandAction.Failed;
            }
            finally
            {
                AppDomain.CurrentDomain.ProcessExit -= WaitForCleanUp;
            }

            if (output.IsJson) output.WriteJson(new { ok = report.Ok, verdict = report.Verdict, report });
            else RehearsalTables.Write(report, output);
            return report.Ok ? CommandAction.Ok : report.Inconclusive ? NotMeasured : CommandAction.Failed;
        });
        return command;
    }

    private static TimeSpan Seconds(double value, string option) =>
        double.IsFinite(value) && value >= 0 && value <= 86400
            ? TimeSpan.FromSeconds(value)
            : throw new UsageException($"{option} must be a number of seconds from 0 to 86400 (got {value}).");
}
