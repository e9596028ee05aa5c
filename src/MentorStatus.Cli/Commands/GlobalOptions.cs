using System.CommandLine;
using MentorStatus.Database;
using MentorStatus.Tooling.Local;
using MentorStatus.Tooling;

namespace MentorStatus.Cli.Commands;

/// <summary>Options every verb takes, and how they become a project and a target database.</summary>
internal static class GlobalOptions
{
    public static readonly Option<string?> DbUrl = new("--db-url")
    {
        Description = "Work on this database instead of the local one: a postgresql://USER@HOST:PORT/DB URL " +
                      "(add ?sslmode=disable for a server without TLS) or an Npgsql connection string. One with a password belongs in " +
                      "MENTORSTATUS_DB_URL, not on the command line (every user sees it in ps); or keep the password in a passfile (PGPASSFILE).",
        Recursive = true,
    };

    public static readonly Option<string?> Workdir = new("--workdir")
    {
        Description = "The project folder (the one holding supabase/config.toml). Default: found from the current folder.",
        Recursive = true,
    };

    public static readonly Option<int> Port = new("--port")
    {
        Description = "Port of the local database on 127.0.0.1. Default: the port the project's local database last " +
                      $"started on (shown below when it has one), else {LocalClusterOptions.DefaultPort}, the Supabase CLI's.",
        // The help's [default: N] is the port a verb would use now: the project's cluster remembers the one it started on.
        DefaultValueFactory = result => RememberedPort(WorkdirOf(result)) ?? LocalClusterOptions.DefaultPort,
        Recursive = true,
    };

    public static readonly Option<bool> Json = new("--json")
    {
        Description = "Print machine-readable JSON on stdout instead of tables (progress goes to stderr).",
        Recursive = true,
    };

    public static readonly Option<bool> Verbose = new("--verbose")
    {
        Description = "Say more on stderr: the migration engine's debug log, and the stack trace of an internal error.",
        Recursive = true,
    };

    public static IEnumerable<Option> All => [DbUrl, Workdir, Port, Json, Verbose];

    /// <summary>The project: --workdir, else the folder holding supabase/config.toml from here up. None is a usage error
    /// (exit 2): the command was run in the wrong place, nothing was changed.</summary>
    public static ProjectLayout Layout(ParseResult parse) => TryLayout(parse, out var error) ?? throw new UsageException(error!);

    public static ProjectLayout? TryLayout(ParseResult parse, out string? error)
    {
        error = null;
        try
        {
            return ProjectLayout.Find(parse.GetValue(Workdir));
        }
        catch (DirectoryNotFoundException e)
        {
            error = e.Message;
            return null;
        }
    }

    private static string? WorkdirOf(System.CommandLine.Parsing.ArgumentResult result)
    {
        try
        {
            return result.GetValue(Workdir);
        }
        catch (InvalidOperationException)
        {
            return null; // a result outside a parse (help's rendering may make one): the current folder
        }
    }

    private static int? RememberedPort(string? workdir)
    {
        try
        {
            return LocalCluster.RememberedPort(ProjectLayout.Find(workdir));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null; // no project here: the default
        }
    }

    public static string? ExplicitUrl(ParseResult parse) =>
        parse.GetValue(DbUrl) ?? (Environment.GetEnvironmentVariable("MENTORSTATUS_DB_URL") is { Length: > 0 } env ? env : null);

    public static async Task<LocalCluster> LocalClusterAsync(ParseResult parse, CancellationToken ct) =>
        await LocalCluster.ForProjectAsync(Layout(parse), new LocalClusterOptions { Port = parse.GetValue(Port) }, ct);

    /// <summary>A database URL given on the command line; one that does not parse is a usage error naming the option.</summary>
    public static DatabaseTarget ParseUrl(string url, string option)
    {
        try
        {
            return DatabaseTarget.Parse(url);
        }
        catch (ArgumentException e) // DatabaseTarget.Parse judges only its input
        {
            throw new UsageException(e.Message.Replace("--db-url", option, StringComparison.Ordinal));
        }
    }

    /// <summary>--db-url when given; otherwise the local cluster, created and started if needed.</summary>
    public static async Task<DatabaseTarget> TargetAsync(ParseResult parse, Output.CommandOutput output, CancellationToken ct) =>
        (await TargetAndClusterAsync(parse, output, ct)).Target;

    /// <summary>
    /// The target, and the local cluster when the target is the project's own (no --db-url): only that one may lose data
    /// without --yes (see <see cref="DestructiveConsent"/>).
    /// </summary>
    public static async Task<(DatabaseTarget Target, LocalCluster? Cluster)> TargetAndClusterAsync(ParseResult parse, Output.CommandOutput output, CancellationToken ct)
    {
        if (ExplicitUrl(parse) is { } url) return (ParseUrl(url, "--db-url"), null);
        var cluster = await LocalClusterAsync(parse, ct);
        if (await cluster.StartAsync(output.Progress, ct))
            output.Info($"local database started: {cluster.Target().Url}");
        return (cluster.Target(), cluster);
    }

    /// <summary>What a verb that deletes data may do: the project's cluster as asked, anything else only with --yes.</summary>
    public static DestructiveConsent Consent(LocalCluster? cluster, bool yes) =>
        cluster is null ? DestructiveConsent.ExplicitDatabase(yes) : DestructiveConsent.ManagedCluster(cluster.DataDirectory, yes);
}
