using System.CommandLine;
using MentorStatus.Cli.Output;
using MentorStatus.Database;
using MentorStatus.Database.Migrations;
using MentorStatus.Database.Security;
using MentorStatus.Database.Testing;
using Spectre.Console;

namespace MentorStatus.Cli.Commands;

/// <summary>`db start|stop|reset|up|down|status|test|new|repair`, mirroring the Supabase CLI.</summary>
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
        var db = new Command("db", "Manage the database: the local PostgreSQL, migrations, seed and pgTAP tests.");
        db.Subcommands.Add(Start());
        db.Subcommands.Add(Stop());
        db.Subcommands.Add(Reset());
        db.Subcommands.Add(Up());
        db.Subcommands.Add(Down());
        db.Subcommands.Add(Status());
        db.Subcommands.Add(Test());
        db.Subcommands.Add(New());
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

    private static async Task<DatabaseWorkflow> WorkflowAsync(ParseResult parse, Output.Console console, CancellationToken ct) =>
        new(GlobalOptions.Layout(parse), await GlobalOptions.TargetAsync(parse, console, ct), Options(parse), console.Progress);

    private static Command Start()
    {
        var command = new Command("start", "Create (first time) and start the local PostgreSQL 15, then print its connection string.");
        CommandAction.Set(command, async (parse, console, ct) =>
        {
            var cluster = await GlobalOptions.LocalClusterAsync(parse, ct);
            var started = await cluster.StartAsync(console.Progress, ct);
            if (console.IsJson) console.WriteJson(new { url = cluster.Target().Url, port = cluster.Port, directory = cluster.Directory, started });
            else
            {
                console.Success(started ? "local database started" : "local database already running");
                console.Write(new Grid().AddColumns(2)
                    .AddRow("[grey]DB URL[/]", Markup.Escape(cluster.Target().Url))
                    .AddRow("[grey]data[/]", Markup.Escape(cluster.DataDirectory))
                    .AddRow("[grey]log[/]", Markup.Escape(cluster.LogFile)));
            }
            return CommandAction.Ok;
        });
        return command;
    }

    private static Command Stop()
    {
        var command = new Command("stop", "Stop the local PostgreSQL (its data stays; `db reset` recreates the database).");
        CommandAction.Set(command, async (parse, console, ct) =>
        {
            var cluster = await GlobalOptions.LocalClusterAsync(parse, ct);
            var stopped = await cluster.StopAsync(ct);
            if (console.IsJson) console.WriteJson(new { stopped });
            else console.Success(stopped ? "local database stopped" : "local database was not running");
            return CommandAction.Ok;
        });
        return command;
    }

    private static Command Reset()
    {
        var yes = new Option<bool>("--yes", "-y") { Description = "Confirm a reset of a database that is not local (it rolls back every migration first)." };
        var command = new Command("reset",
            "Recreate the database: platform layer (roles, auth) where missing, every migration, then supabase/seed.sql.\n" +
            "Local: the database is dropped and created anew. --db-url on another host: every applied migration is rolled back\n" +
            "with its rollback script, then all are applied again; that needs --yes.")
        { Options = { yes, LockTimeout, LockWait } };
        CommandAction.Set(command, async (parse, console, ct) =>
        {
            if (GlobalOptions.ExplicitUrl(parse) is { } url && !DatabaseTarget.Parse(url).IsLocal && !parse.GetValue(yes))
            {
                console.Error($"{DatabaseTarget.Parse(url).Host} is not a local database: `db reset` would roll back every migration there. Rerun with --yes if you mean it.");
                return CommandAction.Failed;
            }
            var workflow = await WorkflowAsync(parse, console, ct);
            var result = await workflow.ResetAsync(ct);
            if (console.IsJson)
            {
                console.WriteJson(new { url = workflow.Target.Url, platform_layer_installed = result.PlatformLayerInstalled, result.Reverted, result.Applied, result.Seed });
                return CommandAction.Ok;
            }
            if (result.PlatformLayerInstalled) console.Info("installed the Supabase platform layer (roles, auth schema, default privileges)");
            var rows = result.Reverted.Concat(result.Applied).ToList();
            if (result.Seed is { } seed) rows.Add(seed);
            console.Write(Tables.Results(rows, "db reset"));
            console.Success($"database reset: {result.Applied.Count} migration(s) applied{(result.Seed is null ? "" : ", seed loaded")} — {workflow.Target.Url}");
            return CommandAction.Ok;
        });
        return command;
    }

    private static Command Up()
    {
        var command = new Command("up",
            "Apply pending migrations in version order, each in one transaction with its journal row.\n" +
            "Refuses drifted files, unknown applied versions, out-of-order versions (unless --include-all) and missing prerequisites.")
        { Options = { IncludeAll, LockTimeout, LockWait } };
        CommandAction.Set(command, async (parse, console, ct) =>
        {
            var results = await (await WorkflowAsync(parse, console, ct)).UpAsync(ct);
            if (console.IsJson) console.WriteJson(results);
            else if (results.Count == 0) console.Success("nothing to apply: the database is up to date");
            else
            {
                console.Write(Tables.Results(results, "db up"));
                console.Success($"{results.Count} migration(s) applied");
            }
            return CommandAction.Ok;
        });
        return command;
    }

    private static Command Down()
    {
        var last = new Option<int>("--last") { Description = "How many of the newest applied migrations to revert.", DefaultValueFactory = _ => 1 };
        var command = new Command("down",
            "Revert the newest applied migration(s) with supabase/rollbacks/<version>_<name>.sql, each in one transaction with its journal row.")
        { Options = { last, LockTimeout, LockWait } };
        CommandAction.Set(command, async (parse, console, ct) =>
        {
            var results = await (await WorkflowAsync(parse, console, ct)).DownAsync(parse.GetValue(last), ct);
            if (console.IsJson) console.WriteJson(results);
            else if (results.Count == 0) console.Success("nothing to revert: no migration is applied");
            else
            {
                console.Write(Tables.Results(results, "db down"));
                console.Success($"{results.Count} migration(s) reverted");
            }
            return CommandAction.Ok;
        });
        return command;
    }

    private static Command Status()
    {
        var command = new Command("status", "List local and applied migrations: pending, applied, drifted (changed since applied), unknown, rollback present.");
        CommandAction.Set(command, async (parse, console, ct) =>
        {
            var plan = await (await WorkflowAsync(parse, console, ct)).StatusAsync(ct);
            if (console.IsJson) console.WriteJson(new { migrations = plan.States, out_of_order = plan.OutOfOrder });
            else console.Write(Tables.Status(plan));
            return plan.Drifted.Count > 0 || plan.UnknownApplied.Count > 0 ? CommandAction.Failed : CommandAction.Ok;
        });
        return command;
    }

    private static Command Test()
    {
        var command = new Command("test", "Run every pgTAP file of supabase/tests (as `supabase test db` does) and print a summary; exit 1 on any failure.");
        CommandAction.Set(command, async (parse, console, ct) =>
        {
            var workflow = await WorkflowAsync(parse, console, ct);
            var results = await workflow.TestAsync(new Progress<PgTapFileResult>(r =>
                console.Info($"{(r.Ok ? "ok    " : "FAILED")} {r.File} ({r.Summary})")), ct);
            if (console.IsJson) console.WriteJson(results.Select(r => new { r.File, r.Ok, r.Planned, r.Passed, r.Failures, r.Error, r.Duration }));
            else
            {
                console.Write(Tables.Tests(results));
                foreach (var failure in results.Where(r => !r.Ok))
                    console.Error($"{failure.File}: {failure.Summary}\n  {string.Join("\n  ", failure.Failures)}");
            }
            if (results.Count == 0) { console.Error("no pgTAP files in supabase/tests"); return CommandAction.Failed; }
            return results.All(r => r.Ok) ? CommandAction.Ok : CommandAction.Failed;
        });
        return command;
    }

    private static Command New()
    {
        var name = new Argument<string>("name") { Description = "What the migration does, in snake_case, e.g. add_mentor_notes." };
        var command = new Command("new", "Create supabase/migrations/<UTC timestamp>_<name>.sql and its rollback in supabase/rollbacks/.") { Arguments = { name } };
        CommandAction.Set(command, (parse, console, _) =>
        {
            var layout = GlobalOptions.Layout(parse);
            var (migration, rollback) = DatabaseWorkflow.NewMigration(layout, parse.GetValue(name)!, DateTimeOffset.UtcNow);
            if (console.IsJson) console.WriteJson(new { migration = layout.Display(migration), rollback = layout.Display(rollback) });
            else console.Success($"created {layout.Display(migration)} and {layout.Display(rollback)}");
            return Task.FromResult(CommandAction.Ok);
        });
        return command;
    }

    private static Command Security()
    {
        var command = new Command("security",
            "Check the database's catalog against Supabase's security lints (splinter's rules: rls_disabled_in_public,\n" +
            "function_search_path_mutable, security definer functions callable by anon/authenticated in exposed schemas,\n" +
            "security_definer_view, extension_in_public, pg_graphql exposure, ...) and the project's own: definer functions\n" +
            "whose search_path does not name pg_temp last, API roles holding table privileges no policy needs, append-only\n" +
            "tables the API roles can write. Exposed schemas come from supabase/config.toml [api] schemas.\n" +
            "WARN and ERROR findings fail (exit 1); INFO is listed only. An object whose comment says\n" +
            "`security: ignore RULE because REASON` has that finding acknowledged.\n\n" +
            "Examples:\n" +
            "  mentorstatus db security                       # the local database\n" +
            "  mentorstatus db security --db-url \"$URL\" --json  # a document for scripts: findings with rule, level, object, fix");
        CommandAction.Set(command, async (parse, console, ct) =>
        {
            var target = await GlobalOptions.TargetAsync(parse, console, ct);
            await using var dataSource = target.CreateDataSource();
            var scope = ScopeOf(parse);
            var report = await SecurityInvariants.CheckAsync(dataSource, scope, ct: ct);
            if (console.IsJson)
            {
                console.WriteJson(new
                {
                    ok = !report.Failed,
                    exposedSchemas = scope.ExposedSchemas,
                    findings = report.Findings.Select(f => new
                    {
                        rule = f.Rule, level = f.Level.ToString().ToUpperInvariant(), @object = f.Object, detail = f.Detail,
                        fix = f.Fix, fails = f.Fails, acknowledged = f.Acknowledged,
                    }),
                });
            }
            else
            {
                foreach (var finding in report.Findings.OrderByDescending(f => f.Fails).ThenByDescending(f => f.Level))
                {
                    var line = $"{finding.Level.ToString().ToUpperInvariant()} {finding}";
                    if (finding.Fails) console.Error($"{line}\n  fix: {finding.Fix}");
                    else console.Info(finding.Acknowledged is { } reason ? $"{line} (acknowledged: {reason})" : line);
                }
                if (!report.Failed) console.Success($"security rules hold ({SecurityRules.All.Count} rules; exposed schemas: {string.Join(", ", scope.ExposedSchemas)})");
            }
            return report.Failed ? CommandAction.Failed : CommandAction.Ok;
        });
        return command;
    }

    /// <summary>The project's exposed schemas when run inside a project; Supabase's defaults otherwise (e.g. only --db-url).</summary>
    private static SecurityScope ScopeOf(ParseResult parse)
    {
        ProjectLayout layout;
        try { layout = GlobalOptions.Layout(parse); }
        catch (DirectoryNotFoundException) { return SecurityScope.Default; }
        return SecurityScope.ForProject(layout);
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
        var command = new Command("repair", "Fix the migration journal by hand, like `supabase migration repair` (after drift, or a migration undone outside the tool).")
        { Arguments = { version }, Options = { status } };
        CommandAction.Set(command, async (parse, console, ct) =>
        {
            var applied = parse.GetValue(status) == "applied";
            await (await WorkflowAsync(parse, console, ct)).RepairAsync(parse.GetValue(version)!, applied, ct);
            console.Success($"journal: {parse.GetValue(version)} marked {(applied ? "applied" : "reverted")}");
            return CommandAction.Ok;
        });
        return command;
    }
}
