using System.CommandLine;
using MentorStatus.Cli.Output;
using MentorStatus.Cli.Commands.Db;
using MentorStatus.Database.Migrations;
using MentorStatus.Tooling.Local;
using MentorStatus.Tooling.Rules;
using MentorStatus.Tooling;

namespace MentorStatus.Cli.Commands;

/// <summary>
/// The `db` verbs, mirroring the Supabase CLI: here each verb's wiring (name, help, options and arguments, as the Supabase
/// CLI's cmd/migration.go), and its logic in a file of its own under Db/ (as internal/migration/down/down.go).
/// `db lint` and `db rehearse`, with many options of their own, are wired in LintCommand.cs and RehearseCommand.cs.
/// </summary>
internal static class DbCommands
{
    private static readonly Option<bool> IncludeAll = new("--include-all")
    {
        Description = "Also apply pending migrations older than the newest applied one (refused by default).",
    };

    private static readonly Option<double> LockTimeout = new("--lock-timeout")
    {
        Description = "Seconds one DDL statement may wait for a table lock before failing (PostgreSQL lock_timeout).",
        DefaultValueFactory = _ => 10,
    };

    private static readonly Option<double> LockWait = new("--lock-wait")
    {
        Description = "Seconds to wait for another migration runner holding the migration lock.",
        DefaultValueFactory = _ => 60,
    };

    static DbCommands()
    {
        // Seconds become a TimeSpan: refuse what TimeSpan cannot hold (NaN, infinities, 1e300) with the option's name.
        foreach (var option in new[] { LockTimeout, LockWait })
            option.Validators.Add(result =>
            {
                // A token that is no number at all is the parser's to report; only judge numbers here.
                if (result.Tokens.Count == 0 || !double.TryParse(result.Tokens[^1].Value, System.Globalization.NumberStyles.Float,
                        System.Globalization.CultureInfo.InvariantCulture, out var seconds)) return;
                if (!double.IsFinite(seconds) || seconds < 0 || seconds > TimeSpan.FromDays(1).TotalSeconds)
                    result.AddError($"{option.Name} must be a number of seconds from 0 to 86400 (got {seconds}).");
            });
    }

    public static Command Build()
    {
        var db = new Command("db", CliCommands.Describe(
            "Manage the database: the local PostgreSQL, migrations, seed and pgTAP tests.",
            "mentorstatus db reset",
            "mentorstatus db status --json"));
        db.Subcommands.Add(Start());
        db.Subcommands.Add(Stop());
        db.Subcommands.Add(Reset());
        db.Subcommands.Add(Up());
        db.Subcommands.Add(Down());
        db.Subcommands.Add(Status());
        db.Subcommands.Add(Test());
        db.Subcommands.Add(New());
        db.Subcommands.Add(Diff());
        db.Subcommands.Add(Repair());
        db.Subcommands.Add(Security());
        db.Subcommands.Add(LintCommand.Build());
        db.Subcommands.Add(RehearseCommand.Build());
        return db;
    }

    private static MigrationOptions Options(ParseResult parse) => new()
    {
        IncludeAll = parse.GetValue(IncludeAll),
        LockTimeout = TimeSpan.FromSeconds(parse.GetValue(LockTimeout)),
        LockWait = TimeSpan.FromSeconds(parse.GetValue(LockWait)),
    };

    internal static async Task<DatabaseWorkflow> WorkflowAsync(ParseResult parse, Output.CommandOutput output, CancellationToken ct) =>
        (await WorkflowAndClusterAsync(parse, output, ct)).Workflow;

    private static async Task<(DatabaseWorkflow Workflow, LocalCluster? Cluster)> WorkflowAndClusterAsync(
        ParseResult parse, Output.CommandOutput output, CancellationToken ct)
    {
        var layout = GlobalOptions.Layout(parse);
        var (target, cluster) = await GlobalOptions.TargetAndClusterAsync(parse, output, ct);
        return (new DatabaseWorkflow(layout, target, Options(parse), output.Progress, output.Logger(typeof(MigrationRunner).FullName!)), cluster);
    }

    /// <summary>--yes of the verbs that delete data or rewrite the journal (reset, down, repair).</summary>
    private static Option<bool> Yes(string what) => new("--yes", "-y")
    {
        Description = $"Confirm {what} on a database given with --db-url (any host, 127.0.0.1 included: a `supabase start` stack or an SSH " +
                      "tunnel to production listens there too), or on a local cluster that holds more than this project. Never asked interactively.",
    };

    private static Command Start()
    {
        var command = new Command("start", CliCommands.Describe(
            "Create (first time) and start the local PostgreSQL 15, then print its connection string.",
            "mentorstatus db start",
            "mentorstatus db start --port 55432 --json   # {\"url\": …, \"port\": 55432, \"started\": true}"));
        CommandAction.Set(command, async (parse, output, ct) => await DbStart.RunAsync(await GlobalOptions.LocalClusterAsync(parse, ct), output, ct));
        return command;
    }

    private static Command Stop()
    {
        var command = new Command("stop", CliCommands.Describe(
            "Stop the local PostgreSQL (its data stays; `db reset` recreates the database).",
            "mentorstatus db stop"));
        CommandAction.Set(command, async (parse, output, ct) => await DbStop.RunAsync(await GlobalOptions.LocalClusterAsync(parse, ct), output, ct));
        return command;
    }

    private static Command Reset()
    {
        var yes = Yes("the reset");
        var command = new Command("reset",
            "Recreate the database: platform layer (roles, auth) where missing, every migration, then supabase/seed.sql.\n" +
            "The project's local cluster (no --db-url): its database is dropped and created anew, no --yes needed, as long as it\n" +
            "holds only this project's tables and the platform layer's stand-ins. Any database given with --db-url (loopback\n" +
            "included) needs --yes; there every applied migration is rolled back with its rollback script, then all are applied\n" +
            "again, and Supabase's own schemas (auth, storage, realtime, ...) and other data are kept. A database holding Supabase's\n" +
            "schemas or tables no migration creates is refused without --yes (exit 2, nothing changed).\n\n" +
            "Examples:\n" +
            "  mentorstatus db reset                                   # the project's local cluster\n" +
            "  MENTORSTATUS_DB_URL=\"$STAGING_URL\" mentorstatus db reset --yes --json")
        { Options = { yes, LockTimeout, LockWait } };
        CommandAction.Set(command, async (parse, output, ct) =>
        {
            var (workflow, cluster) = await WorkflowAndClusterAsync(parse, output, ct);
            return await DbReset.RunAsync(workflow, GlobalOptions.Consent(cluster, parse.GetValue(yes)), output, ct);
        });
        return command;
    }

    private static Command Up()
    {
        var command = new Command("up",
            "Apply pending migrations in version order, each in one transaction with its journal row.\n" +
            "Refuses drifted files, unknown applied versions, out-of-order versions (unless --include-all) and missing prerequisites.\n\n" +
            "Examples:\n" +
            "  mentorstatus db up\n" +
            "  MENTORSTATUS_DB_URL=\"$DATABASE_URL\" mentorstatus db up --lock-timeout 5 --json")
        { Options = { IncludeAll, LockTimeout, LockWait } };
        CommandAction.Set(command, async (parse, output, ct) => await DbUp.RunAsync(await WorkflowAsync(parse, output, ct), output, ct));
        return command;
    }

    private static Command Down()
    {
        var last = new Option<int>("--last") { Description = "How many of the newest applied migrations to revert.", DefaultValueFactory = _ => 1 };
        var yes = Yes("reverting migrations");
        var command = new Command("down",
            CliCommands.Describe(
                "Revert the newest applied migration(s) with supabase/rollbacks/<version>_<name>.sql, each in one transaction with its journal row.\n" +
                "On a database given with --db-url (loopback included) only with --yes: a rollback drops what the migration created, data included.",
                "mentorstatus db down",
                "mentorstatus db down --last 3 --json",
                "MENTORSTATUS_DB_URL=\"$STAGING_URL\" mentorstatus db down --yes"))
        { Options = { last, yes, LockTimeout, LockWait } };
        CommandAction.Set(command, async (parse, output, ct) =>
        {
            var (workflow, cluster) = await WorkflowAndClusterAsync(parse, output, ct);
            return await DbDown.RunAsync(workflow, parse.GetValue(last), GlobalOptions.Consent(cluster, parse.GetValue(yes)), output, ct);
        });
        return command;
    }

    private static Command Status()
    {
        var command = new Command("status", CliCommands.Describe(
            "List local and applied migrations: pending, applied, drifted (changed since applied), unknown, rollback present.\n" +
            "Exit 1 when an applied file drifted or the journal holds a version with no file.\n" +
            "With --db-url outside a project folder (no supabase/config.toml here or above) the journal is compared with the\n" +
            "migrations built into this mentorstatus; versions it does not know are then the database's own, not an error.",
            "mentorstatus db status",
            "mentorstatus db status --json | jq '.migrations[] | select(.is_applied | not) | .version'   # the pending versions",
            "cd /tmp && MENTORSTATUS_DB_URL=\"$DATABASE_URL\" mentorstatus db status   # outside a project: against the built-in migrations"));
        CommandAction.Set(command, (parse, output, ct) => DbStatus.RunAsync(parse, Options(parse), output, ct));
        return command;
    }

    private static Command Test()
    {
        var command = new Command("test", CliCommands.Describe(
            "Run every pgTAP file of supabase/tests (as `supabase test db` does) and print a summary; exit 1 on any failure.",
            "mentorstatus db test",
            "mentorstatus db test --json"));
        CommandAction.Set(command, async (parse, output, ct) => await DbTest.RunAsync(await WorkflowAsync(parse, output, ct), output, ct));
        return command;
    }

    private static Command New()
    {
        var name = new Argument<string>("name") { Description = "What the migration does, in snake_case, e.g. add_mentor_notes." };
        var command = new Command("new", CliCommands.Describe(
            "Create supabase/migrations/<UTC timestamp>_<name>.sql and its rollback in supabase/rollbacks/.",
            "mentorstatus db new add_mentor_notes")) { Arguments = { name } };
        CommandAction.Set(command, (parse, output, _) => Task.FromResult(DbNew.Run(parse, parse.GetValue(name)!, output)));
        return command;
    }

    private static Command Diff()
    {
        var file = new Option<string?>("--file", "-f") { Description = "Write the difference as a migration NAME (snake_case) and its rollback." };
        var command = new Command("diff", CliCommands.Describe(
            "Compare supabase/schemas (the schema as it is meant to be) with what the migrations build: each is applied to a throwaway\n" +
            "database on the local cluster or the --db-url server (needs CREATEDB), after the platform layer, and the catalogs and\n" +
            "reference data are compared. Exit 1 when they disagree. With -f NAME, write the migration and its rollback that close\n" +
            "the difference: functions (create or replace; the rollback restores the previous body), triggers, policies, grants,\n" +
            "comments, new schemas, enums, tables, columns, constraints; an index on an existing table in a file of its own,\n" +
            "concurrently. The draft is tried on a copy: what it cannot do is left as a TODO that refuses to run; exit 1 then.",
            "mentorstatus db diff",
            "mentorstatus db diff -f add_mentor_notes",
            "mentorstatus db diff --json | jq '.differences[]'")) { Options = { file } };
        CommandAction.Set(command, (parse, output, ct) => DbDiff.RunAsync(parse, parse.GetValue(file), output, ct));
        return command;
    }

    private static Command Security()
    {
        var failOn = FailOnOption.Create(RuleLevels.SecurityDefaultFailOn);
        var explain = ExplainOption.Create();
        var command = new Command("security",
            "Check the database's catalog against Supabase's security lints (splinter's rules: rls_disabled_in_public,\n" +
            "function_search_path_mutable, security definer functions callable by anon/authenticated in exposed schemas,\n" +
            "security_definer_view, extension_in_public, pg_graphql exposure, ...) and the project's own: definer functions\n" +
            "whose search_path does not name pg_temp last, API roles holding table privileges no policy needs, append-only\n" +
            "tables the API roles can write. Exposed schemas come from supabase/config.toml [api] schemas.\n" +
            "WARN and ERROR findings fail (exit 1) and INFO is listed, unless --fail-on says otherwise. An object whose comment says\n" +
            "`security: ignore RULE because REASON` has that finding acknowledged.\n\n" +
            "Examples:\n" +
            "  mentorstatus db security                       # the local database\n" +
            "  MENTORSTATUS_DB_URL=\"$URL\" mentorstatus db security --json  # a document for scripts: findings with rule, level, object, fix\n" +
            "  mentorstatus db security --fail-on error          # only ERROR fails; WARN and INFO are listed\n" +
            "  mentorstatus db security --explain MS217          # what a rule finds, why, the fix")
        { Options = { failOn, explain } };
        CommandAction.Set(command, async (parse, output, ct) => parse.GetValue(explain) is { } rule
            ? ExplainOption.Print(rule, output)
            : await DbSecurity.RunAsync(await GlobalOptions.TargetAsync(parse, output, ct), DbSecurity.ScopeOf(parse),
                FailOnOption.Value(parse, failOn), output, ct));
        return command;
    }

    private static Command Repair()
    {
        var version = new Argument<string>("version") { Description = "The migration version (its 14-digit timestamp)." };
        var status = new Option<string>("--status")
        {
            Description = "applied: record the local file as applied (accepting its current text); reverted: remove it from the journal. No migration SQL runs.",
            Required = true,
        };
        status.AcceptOnlyFromAmong("applied", "reverted");
        var yes = Yes("rewriting the migration journal");
        var command = new Command("repair", CliCommands.Describe(
            "Fix the migration journal by hand, like `supabase migration repair` (after drift, or a migration undone outside the tool).\n" +
            "No migration SQL runs: only the journal row of VERSION is written or removed. On a database given with --db-url\n" +
            "(loopback included) only with --yes: it decides what `db up` runs there next.",
            "mentorstatus db repair 20261101000400 --status applied    # the project's local cluster: accept the edited file as applied",
            "MENTORSTATUS_DB_URL=\"$STAGING_URL\" mentorstatus db repair 20261101000400 --status reverted --yes --json"))
        { Arguments = { version }, Options = { status, yes } };
        CommandAction.Set(command, async (parse, output, ct) =>
        {
            var (workflow, cluster) = await WorkflowAndClusterAsync(parse, output, ct);
            return await DbRepair.RunAsync(workflow, parse.GetValue(version)!, parse.GetValue(status)!,
                GlobalOptions.Consent(cluster, parse.GetValue(yes)), output, ct);
        });
        return command;
    }
}
