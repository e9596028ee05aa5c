using System.CommandLine;
using System.CommandLine.Parsing;
using MentorStatus.Database;
using Npgsql;

namespace MentorStatus.Cli.Commands;

/// <summary>
/// Passwords that arrived on the command line, where every user of the machine reads them (ps, /proc/PID/cmdline),
/// and the environment variable each belongs in instead; and the answer to a password the server refused.
/// </summary>
internal static class CommandLineSecrets
{
    public const string DbUrlVariable = "MENTORSTATUS_DB_URL";
    public const string RehearseFromVariable = "MENTORSTATUS_REHEARSE_FROM";

    /// <summary>Option → environment variable for the options that take a database URL.</summary>
    private static readonly Dictionary<string, string> UrlOptions = new(StringComparer.Ordinal)
    {
        ["--db-url"] = DbUrlVariable,
        ["--from"] = RehearseFromVariable,
    };

    /// <summary>Setting names whose value is a secret (their last segment): SMTP passwords, webhook secrets, keys, tokens.</summary>
    private static readonly string[] SecretWords = ["password", "secret", "apikey", "api_key", "token", "privatekey"];

    /// <summary>
    /// One line per secret on this command line: which option and where to put it instead; empty when there is none.
    /// A value that does not parse as a URL is left to the verb (it reports the usage error).
    /// </summary>
    public static IReadOnlyList<string> Find(ParseResult parse)
    {
        var found = new List<string>();
        foreach (var option in OptionResults(parse.RootCommandResult))
        {
            var name = option.Option.Name;
            var values = option.Tokens.Select(t => t.Value).ToList();
            if (UrlOptions.TryGetValue(name, out var variable))
            {
                if (values.Any(HasPassword))
                    found.Add($"{name} carries a password: put the URL in {variable} instead (or leave the password out of it and use a passfile, PGPASSFILE)");
            }
            else if (name == "--set")
            {
                foreach (var key in values.Select(v => v.Split('=', 2)).Where(kv => kv.Length == 2 && kv[1].Length > 0).Select(kv => kv[0].Trim()))
                    if (IsSecretKey(key))
                        found.Add($"--set {key}=… is a secret: set {EnvironmentName(key)} instead");
            }
        }
        return found.Distinct().ToList();
    }

    /// <summary>The warning, once per invocation, on stderr (never in --json's document on stdout).</summary>
    public static void Warn(ParseResult parse, Output.CommandOutput output)
    {
        var found = Find(parse);
        if (found.Count == 0) return;
        output.Warn("warning: a password on the command line can be read by every user of this machine (ps, /proc): " + string.Join("; ", found) + ".");
    }

    /// <summary>MentorStatus:Notifications:Smtp:Password → MENTORSTATUS__NOTIFICATIONS__SMTP__PASSWORD (.NET's environment provider).</summary>
    public static string EnvironmentName(string key) => key.Replace(":", "__", StringComparison.Ordinal).ToUpperInvariant();

    private static bool IsSecretKey(string key)
    {
        var last = key.Split(':', StringSplitOptions.RemoveEmptyEntries).LastOrDefault()?.ToLowerInvariant() ?? "";
        return SecretWords.Any(w => last.Contains(w, StringComparison.Ordinal));
    }

    private static bool HasPassword(string url)
    {
        try
        {
            return new NpgsqlConnectionStringBuilder(DatabaseTarget.Parse(url).ConnectionString).Password is { Length: > 0 };
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static IEnumerable<OptionResult> OptionResults(SymbolResult result) =>
        result switch
        {
            CommandResult command => command.Children.SelectMany(OptionResults),
            OptionResult option => [option],
            _ => [],
        };

    /// <summary>
    /// The answer to 28P01 (the server refused the password): the role and server it was for, and where that password
    /// came from, to check.
    /// </summary>
    public static string WrongPassword(ParseResult parse, PostgresException e)
    {
        var (url, source) = TargetOf(parse);
        string where;
        string role;
        if (url is not null)
        {
            var b = new NpgsqlConnectionStringBuilder(url.ConnectionString);
            role = b.Username ?? Environment.UserName;
            where = $"{b.Host}:{b.Port}";
        }
        else
        {
            role = "postgres";
            where = $"127.0.0.1:{parse.GetValue(GlobalOptions.Port)}";
        }
        var check = source switch
        {
            null => "the local cluster's password is postgres: was the cluster made by something else on this port? (`db stop`, or another --port)",
            _ => $"check the user and password in {source}, or the passfile (PGPASSFILE, ~/.pgpass) when the URL has no password; " +
                 "a Supabase project's database password is under Project Settings → Database",
        };
        return $"password authentication failed for role \"{role}\" at {where} ({e.SqlState}): {check}.";
    }

    /// <summary>The remote database this invocation names, and where it was named (option or environment variable).</summary>
    private static (DatabaseTarget? Target, string? Source) TargetOf(ParseResult parse)
    {
        var rehearse = parse.CommandResult.Command.Name == "rehearse";
        var option = rehearse ? "--from" : "--db-url";
        var variable = rehearse ? RehearseFromVariable : DbUrlVariable;
        var tokens = OptionResults(parse.RootCommandResult).FirstOrDefault(o => o.Option.Name == option)?.Tokens;
        var fromOption = tokens is { Count: > 0 } ? tokens[^1].Value : null;
        var value = fromOption ?? (Environment.GetEnvironmentVariable(variable) is { Length: > 0 } env ? env : null);
        if (value is null) return (null, null);
        try
        {
            return (DatabaseTarget.Parse(value), fromOption is not null ? option : variable);
        }
        catch (ArgumentException)
        {
            return (null, null);
        }
    }
}
