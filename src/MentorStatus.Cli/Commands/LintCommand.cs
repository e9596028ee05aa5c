using System.CommandLine;
using MentorStatus.Database.Lint;

namespace MentorStatus.Cli.Commands;

/// <summary>`db lint`: replay pending (or all) migrations on throwaway databases and report what would hurt production.</summary>
internal static class LintCommand
{
    public static Command Build()
    {
        var all = new Option<bool>("--all") { Description = "Lint every migration, not only those pending on the target database." };
        var format = new Option<string>("--format")
        {
            Description = "text (for people), json (for scripts; also with --json), github (::error annotations for GitHub Actions).",
            DefaultValueFactory = _ => "text",
        };
        format.AcceptOnlyFromAmong("text", "json", "github");
        var strict = new Option<bool>("--strict-lock-timeout")
        {
            Description = "Count only a lock_timeout the migration file sets itself (MS005), not the one `db up` sets for its session; " +
                          "use it when migrations are applied with `supabase db push`.",
        };
        var lockTimeout = new Option<double>("--lock-timeout")
        {
            Description = "The session lock_timeout in seconds that `db up` will use (as its own --lock-timeout); replayed unless --strict-lock-timeout.",
            DefaultValueFactory = _ => 10,
        };
        var command = new Command("lint",
            "Replay each pending migration (or all) statement by statement on a throwaway copy of the database as it stood before it,\n" +
            "and report blocking locks, table rewrites, validated constraints, NOT NULL columns, drops and renames, Supabase exposure\n" +
            "(RLS, policies, security definer), changes to append-only tables and rollbacks that do not restore the schema.\n" +
            "Needs CREATEDB on the local database or --db-url server. Acknowledge a finding with `-- lint: ignore MSnnn because <reason>`\n" +
            "on the line before the statement. Exit code 1 when an error-level finding remains.")
        { Options = { all, format, strict, lockTimeout } };

        CommandAction.Set(command, async (parse, console, ct) =>
        {
            var options = new LintOptions
            {
                All = parse.GetValue(all),
                RunnerLockTimeout = parse.GetValue(strict) ? null : TimeSpan.FromSeconds(parse.GetValue(lockTimeout)),
            };
            var target = await GlobalOptions.TargetAsync(parse, console, ct);
            var report = await new MigrationLinter(GlobalOptions.Layout(parse), target, options, console.Progress).LintAsync(ct);
            var chosen = console.IsJson ? LintFormat.Json : Enum.Parse<LintFormat>(parse.GetValue(format)!, ignoreCase: true);
            System.Console.Out.Write(LintReportFormats.Render(report, chosen));
            if (chosen == LintFormat.Json) System.Console.Out.WriteLine();
            return report.Failed ? CommandAction.Failed : CommandAction.Ok;
        });
        return command;
    }
}
