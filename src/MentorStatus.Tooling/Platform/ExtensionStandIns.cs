using System.Text.RegularExpressions;
using MentorStatus.Database.Migrations;
using Npgsql;

namespace MentorStatus.Tooling.Platform;

/// <summary>An extension's stand-in: its SQL (with @extschema@ for the schema it goes to) and the note the lint reports.</summary>
/// <param name="Schema">The schema the extension always uses (pg_cron's cron, pg_net's net…), or null for the one the statement names.</param>
public sealed record ExtensionStandIn(string Name, string? Schema, string Script, string What)
{
    /// <summary>The script for <paramref name="schema"/>: @extschema@ becomes its quoted identifier, @extschema_name@ its name inside a string literal.</summary>
    public string Sql(string schema) => Script
        .Replace("@extschema_name@", schema.Replace("'", "''", StringComparison.Ordinal), StringComparison.Ordinal)
        .Replace("@extschema@", "\"" + schema.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"", StringComparison.Ordinal);

    public string Note => $"{Name} cannot be created on the lint server (not installed, or it must be preloaded): replayed with a stand-in of {What}";
}

/// <summary>
/// For `db lint`'s replay on plain PostgreSQL 15: what hosted Supabase has and a Debian server lacks. The extensions
/// hosted Supabase offers are created for real where the server can create them; otherwise `create extension` replays
/// with a stand-in of the same schema, types (with type modifiers), functions and operators, so that the statements using
/// them replay and are linted. Lint-only: stand-ins go to the lint's throwaway database, never to a migration or a real
/// database. <see cref="HostedSql"/> is what every hosted database has before its first migration.
/// </summary>
public static partial class ExtensionStandIns
{
    private static readonly IReadOnlyDictionary<string, ExtensionStandIn> ByName = new Dictionary<string, ExtensionStandIn>
    {
        ["vector"] = new("vector", null, Read("vector"),
            "pgvector (types vector(n), halfvec, sparsevec; operators <->, <#>, <=>, <+>; hnsw and ivfflat indexes, built as hash indexes without their storage parameters)"),
        ["pg_cron"] = new("pg_cron", "cron", Read("pg_cron"), "its API (cron.schedule, cron.unschedule, cron.alter_job, cron.job); scheduled commands are not checked"),
        ["pg_net"] = new("pg_net", "net", Read("pg_net"), "its API (net.http_get, net.http_post, net.http_delete); no request is sent"),
        ["http"] = new("http", null, Read("http"), "its types and functions (http_get, http_post, http…); a call raises"),
        ["pgjwt"] = new("pgjwt", null, Read("pgjwt"), "its functions (sign, verify, url_encode, url_decode)"),
        ["pg_jsonschema"] = new("pg_jsonschema", null, Read("pg_jsonschema"), "its functions (json_matches_schema, jsonb_matches_schema), which accept every document"),
        ["pgsodium"] = new("pgsodium", "pgsodium", Read("pgsodium"), "its key table and functions (no SECURITY LABEL provider)"),
        ["supabase_vault"] = new("supabase_vault", "vault", Read("supabase_vault"), "Vault (vault.secrets, vault.decrypted_secrets, vault.create_secret)"),
        ["pg_graphql"] = new("pg_graphql", "graphql", Read("pg_graphql"), "its schemas and entry points (graphql.resolve, graphql_public.graphql)"),
        ["wrappers"] = new("wrappers", null, Read("wrappers"), "the wrappers' handler, validator and meta functions (foreign servers and tables replay; none is read)"),
        ["pgmq"] = new("pgmq", "pgmq", Read("pgmq"), "its queue API (pgmq.create makes the q_/a_ tables; send, read, pop, archive, delete, list_queues, metrics)"),
        ["hypopg"] = new("hypopg", null, Read("hypopg"), "its functions and hypopg_list_indexes (a hypothetical index is only listed)"),
        ["index_advisor"] = new("index_advisor", null, Read("index_advisor"), "index_advisor(query), which advises nothing"),
        ["pg_tle"] = new("pg_tle", "pgtle", Read("pg_tle"), "schema pgtle and its functions (an extension installed through it is recorded, not creatable)"),
        ["plpgsql_check"] = new("plpgsql_check", null, Read("plpgsql_check"), "its checking functions, which report nothing"),
    };

    /// <summary>The extensions that have a stand-in.</summary>
    public static IEnumerable<string> Names => ByName.Keys;

    /// <summary>Hosted Supabase's objects before any migration (roles, realtime, webhooks, auth and storage tables, Vault, pg_graphql).</summary>
    public static string HostedSql { get; } = Read("hosted_supabase") + ";\n" + ByName["supabase_vault"].Sql("vault") + ";\n" + ByName["pg_graphql"].Sql("graphql");

    [GeneratedRegex(@"^create extension (?:if not exists )?(?:""(?<quoted>[^""]+)""|(?<name>[a-z0-9_]+))(?: with)?(?: schema (?:""(?<qschema>[^""]+)""|(?<schema>[a-z0-9_]+)))?")]
    private static partial Regex CreateExtension();

    /// <summary>`using hnsw|ivfflat (…) with (m = …, ef_construction = …, lists = …)`: pgvector's storage parameters.</summary>
    [GeneratedRegex(@"(\busing\s+(?:hnsw|ivfflat)\b.*?)\bwith\s*\(\s*(?:(?:m|ef_construction|lists)\s*=\s*'?\d+'?\s*,?\s*)+\)", RegexOptions.IgnoreCase | RegexOptions.Singleline)]
    private static partial Regex VectorIndexParameters();

    /// <summary>The stand-in for a `create extension` statement, with the schema it names (null: the session's current schema).</summary>
    public static (ExtensionStandIn StandIn, string? Schema)? For(SqlStatement statement)
    {
        var match = CreateExtension().Match(statement.Normalized);
        if (!match.Success) return null;
        var name = match.Groups["quoted"].Success ? match.Groups["quoted"].Value : match.Groups["name"].Value;
        if (!ByName.TryGetValue(name, out var standIn)) return null;
        var schema = match.Groups["qschema"].Success ? match.Groups["qschema"].Value : match.Groups["schema"].Success ? match.Groups["schema"].Value : null;
        return (standIn, standIn.Schema ?? schema);
    }

    /// <summary>
    /// The statement as the replay runs it: an index on the stand-in access methods without pgvector's storage
    /// parameters (the stand-in's hash index would refuse them); every other statement unchanged.
    /// </summary>
    public static string Rewrite(SqlStatement statement, bool vectorStandIn) =>
        vectorStandIn && statement.Normalized.StartsWith("create ", StringComparison.Ordinal) && statement.Normalized.Contains("index", StringComparison.Ordinal)
            ? VectorIndexParameters().Replace(statement.Text, "$1")
            : statement.Text;

    /// <summary>Adds hosted Supabase's objects to a lint database where they are missing.</summary>
    public static async Task EnsureHostedAsync(NpgsqlDataSource dataSource, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        foreach (var statement in SqlScript.Split(HostedSql))
        {
            await using var command = new NpgsqlCommand(statement.Text, connection, transaction);
            await command.ExecuteNonQueryAsync(ct);
        }
        await transaction.CommitAsync(ct);
    }

    private static string Read(string name)
    {
        var resource = $"MentorStatus.Tooling.Platform.StandIns.{name}.sql";
        using var stream = typeof(ExtensionStandIns).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"embedded resource {resource} is missing from the build");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
