using Tomlyn;
using Tomlyn.Model;
using MentorStatus.Database;

namespace MentorStatus.Tooling.Security;

/// <summary>
/// What <c>db security</c> treats as exposed, as the platform's, and as API roles. Nothing in it names
/// an object of a particular project: the exposed schemas come from the project's supabase/config.toml.
/// </summary>
public sealed record SecurityScope
{
    /// <summary>Schemas PostgREST (and pg_graphql) expose: supabase/config.toml [api] schemas.</summary>
    public IReadOnlyList<string> ExposedSchemas { get; init; } = ["public", "graphql_public"];

    /// <summary>Roles PostgREST switches to per request.</summary>
    public IReadOnlyList<string> ApiRoles { get; init; } = ["anon", "authenticated", "service_role"];

    /// <summary>
    /// Schemas that belong to the platform (Supabase services, extensions), not to the application: their
    /// objects are not checked (splinter skips the same ones).
    /// </summary>
    public IReadOnlyList<string> PlatformSchemas { get; init; } =
    [
        "pg_catalog", "information_schema", "auth", "storage", "extensions", "graphql", "realtime", "_realtime",
        "vault", "pgsodium", "pgsodium_masks", "net", "supabase_functions", "supabase_migrations", "cron",
        "pgbouncer", "_analytics", "pgtle", "topology", "tiger", "tiger_data", "pgmq", "repack", "_timescaledb_cache",
    ];

    /// <summary>Supabase's defaults ([api] schemas = public, graphql_public).</summary>
    public static SecurityScope Default { get; } = new();

    /// <summary>The scope of a project: [api] schemas of its supabase/config.toml (Supabase's default when absent).</summary>
    public static SecurityScope ForProject(ProjectLayout layout)
    {
        var path = Path.Combine(layout.SupabaseDirectory, "config.toml");
        return File.Exists(path) ? FromConfigToml(File.ReadAllText(path), path) : Default;
    }

    /// <summary>Reads [api] schemas; a config that is not valid TOML, or schemas that are not strings, is an error that names the file.</summary>
    public static SecurityScope FromConfigToml(string toml, string displayPath = "config.toml")
    {
        TomlTable config;
        try
        {
            config = TomlSerializer.Deserialize<TomlTable>(toml) ?? new TomlTable();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidDataException($"{displayPath} is not valid TOML ({e.Message}); fix the file so that [api] schemas can be read.", e);
        }
        if (!config.TryGetValue("api", out var api) || api is not TomlTable apiTable || !apiTable.TryGetValue("schemas", out var schemas))
            return Default;
        if (schemas is not TomlArray array || array.Any(s => s is not string))
            throw new InvalidDataException($"{displayPath}: [api] schemas must be a list of schema names, e.g. schemas = [\"public\", \"graphql_public\"].");
        return Default with { ExposedSchemas = array.Cast<string>().ToList() };
    }
}
