using System.CommandLine;
using MentorStatus.Database;
using MentorStatus.Database.Local;

namespace MentorStatus.Cli.Commands;

/// <summary>Options every verb takes, and how they become a project and a target database.</summary>
internal static class GlobalOptions
{
    public static readonly Option<string?> DbUrl = new("--db-url")
    {
        Description = "Work on this database instead of the local one: postgresql://USER:PASSWORD@HOST:PORT/DB " +
                      "(add ?sslmode=disable for a server without TLS) or an Npgsql connection string. Also read from MENTORSTATUS_DB_URL.",
        Recursive = true,
    };

    public static readonly Option<string?> Workdir = new("--workdir")
    {
        Description = "The project folder (the one holding supabase/config.toml). Default: found from the current folder.",
        Recursive = true,
    };

    public static readonly Option<int> Port = new("--port")
    {
        Description = "Port of the local database on 127.0.0.1.",
        DefaultValueFactory = _ => LocalClusterOptions.DefaultPort,
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

    public static ProjectLayout Layout(ParseResult parse) => ProjectLayout.Find(parse.GetValue(Workdir));

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
    public static async Task<DatabaseTarget> TargetAsync(ParseResult parse, Output.CommandOutput output, CancellationToken ct)
    {
        if (ExplicitUrl(parse) is { } url) return ParseUrl(url, "--db-url");
        var cluster = await LocalClusterAsync(parse, ct);
        if (await cluster.StartAsync(output.Progress, ct))
            output.Info($"local database started: {cluster.Target().Url}");
        return cluster.Target();
    }
}
