using System.CommandLine;
using MentorStatus.Tooling.Lint;
using MentorStatus.Tooling.Local;
using MentorStatus.Database.Migrations;
using MentorStatus.Tooling.Rules;
using Npgsql;

namespace MentorStatus.Cli.Commands;

/// <summary>`db lint`: replay pending (or all) migrations on throwaway databases and report what would hurt production.</summary>
internal static class LintCommand
{
    public static Command Build()
    {
        var all = new Option<bool>("--all") { Description = "Lint every migration, not only those pending on the target database." };
        var format = new Option<string>("--format")
        {
            Description = "text (for people), json (for scripts; also with --json), github (::error annotations for GitHub Actions), " +
                          "sarif (SARIF 2.1.0 for GitHub code scanning).",
            DefaultValueFactory = _ => "text",
        };
        format.AcceptOnlyFromAmong("text", "json", "github", "sarif");
        var strict = new Option<bool>("--strict-lock-timeout")
        {
            Description = "Count only a lock_timeout the migration file sets itself (MS005), whatever supabase/lint.toml says; " +
                          "right for files applied with `supabase db push`. This is also the default without a lint.toml.",
        };
        var lockTimeout = new Option<double?>("--lock-timeout")
        {
            Description = "Lint as `db up --lock-timeout SECONDS` applies the files: replay each with that session lock_timeout, so MS005 counts it. " +
                          "Overrides supabase/lint.toml.",
        };
        var failOn = FailOnOption.Create(RuleLevels.LintDefaultFailOn);
        var explain = ExplainOption.Create();
        var command = new Command("lint",
            "Replay each pending migration (or all) statement by statement on a throwaway copy of the database as it stood before it,\n" +
            "and report locks that block writes, table rewrites, validated constraints, NOT NULL columns, drops and renames, whole-table\n" +
            "data changes, Supabase exposure (RLS, policies, views, security definer functions, grants, extensions), changes to\n" +
            "append-only tables and rollbacks that do not restore the schema.\n" +
            "How the project deploys (which lock_timeout counts) is read from supabase/lint.toml ([lint] deploy = \"db up\" or\n" +
            "\"supabase db push\"); without it the strict reading applies. The exposed schemas come from supabase/config.toml [api] schemas.\n" +
            "Needs CREATEDB on the local database or --db-url server. Acknowledge a finding with `-- lint: ignore MSnnn because <reason>`\n" +
            "on the line before the statement.\n" +
            "Exit codes: 0 no unacknowledged finding at the --fail-on level (default error) or above, 1 such findings,\n" +
            "2 the lint could not run (no database, bad option or setting).\n\n" +
            "Examples:\n" +
            "  mentorstatus db lint                                  # pending migrations, on the local database\n" +
            "  mentorstatus db lint --all --format sarif > lint.sarif  # every migration, for GitHub code scanning\n" +
            "  mentorstatus db lint --fail-on warning                 # warnings fail too (exit 1)\n" +
            "  mentorstatus db lint --explain MS005                   # what a rule finds, why, the fix\n" +
            "  PGPASSFILE=~/.pgpass mentorstatus --db-url postgresql://postgres@127.0.0.1:5432/postgres db lint --all --strict-lock-timeout")
        { Options = { all, format, strict, lockTimeout, failOn, explain } };

        CommandAction.Set(command, async (parse, output, ct) =>
        {
            if (parse.GetValue(explain) is { } rule) return ExplainOption.Print(rule, output);
            if (parse.GetValue(strict) && parse.GetValue(lockTimeout) is not null)
                throw new UsageException("--strict-lock-timeout and --lock-timeout contradict each other: give one of them.");
            if (parse.GetValue(lockTimeout) is <= 0)
                throw new UsageException("--lock-timeout must be more than 0 seconds (0 means wait forever); use --strict-lock-timeout to count only the file's own.");
            var options = new LintOptions
            {
                All = parse.GetValue(all),
                LockTimeout = parse.GetValue(strict) ? LockTimeoutOverride.Strict
                    : parse.GetValue(lockTimeout) is { } seconds ? LockTimeoutOverride.DbUp(TimeSpan.FromSeconds(seconds)) : null,
            };
            var chosen = output.IsJson ? LintFormat.Json : Enum.Parse<LintFormat>(parse.GetValue(format)!, ignoreCase: true);
            LintReport report;
            try
            {
                var layout = GlobalOptions.Layout(parse);
                var target = await GlobalOptions.TargetAsync(parse, output, ct);
                report = await new MigrationLinter(layout, target, options, output.Progress).LintAsync(ct);
            }
            catch (Exception e) when (e is NpgsqlException or LocalDatabaseException or LintSettingsException or IOException
                                          or UnauthorizedAccessException or MigrationException)
            {
                // Not a finding: the lint did not run. Exit 2 with the reason, never a half report that looks clean.
                var reason = e is PostgresException pg ? $"the server refused: {pg.SqlState} {pg.MessageText}" : e.Message;
                throw new UsageException($"db lint could not run: {reason}");
            }
            report = report with { FailOn = FailOnOption.Value(parse, failOn) };
            output.WriteText(LintReportFormats.Render(report, chosen));
            if (chosen is LintFormat.Json or LintFormat.Sarif) output.WriteText("\n");
            return report.Failed ? CommandAction.Failed : CommandAction.Ok;
        });
        return command;
    }
}
