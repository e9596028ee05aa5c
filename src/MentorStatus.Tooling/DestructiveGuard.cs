using System.Text.RegularExpressions;
using MentorStatus.Database.Migrations;
using MentorStatus.Database;
using Npgsql;

namespace MentorStatus.Tooling;

/// <summary>
/// Who vouches for a verb that deletes data (`db reset`, `db down`). Nothing is guessed from the host name: a
/// `supabase start` stack and an SSH tunnel to production both listen on 127.0.0.1.
/// </summary>
public sealed record DestructiveConsent
{
    /// <summary>The user said so (--yes). Needed for every database given by URL, and for any database that holds more than the project's own.</summary>
    public bool Confirmed { get; init; }

    /// <summary>
    /// The data directory of the cluster this program created and runs for the project, when that cluster is the target
    /// (`db reset` without --db-url). The server must prove it is that cluster (its data_directory) before anything is dropped.
    /// </summary>
    public string? ManagedDataDirectory { get; init; }

    /// <summary>The project's own local cluster: may be reset without --yes while it holds only the project's objects.</summary>
    public static DestructiveConsent ManagedCluster(string dataDirectory, bool confirmed = false) =>
        new() { ManagedDataDirectory = dataDirectory, Confirmed = confirmed };

    /// <summary>A database given by URL: only with --yes.</summary>
    public static DestructiveConsent ExplicitDatabase(bool confirmed) => new() { Confirmed = confirmed };
}

/// <summary>A destructive verb refused before it changed anything; the message says why and what to do (the CLI exits 2).</summary>
public sealed class DestructiveTargetRefusedException(string message) : MentorStatusException(message)
{
    /// <summary>True: refused before it changed anything, because of the target asked for.</summary>
    public override bool IsUsageError => true;
}

/// <summary>What a database holds besides the project's own tables and the platform layer's stand-ins.</summary>
/// <param name="SupabaseSchemas">Supabase's own services found there, e.g. "auth (GoTrue: auth.identities, auth.schema_migrations; has users)".</param>
/// <param name="OtherData">Tables with rows that no project migration creates, e.g. "public.orders".</param>
public sealed record TargetContents(IReadOnlyList<string> SupabaseSchemas, IReadOnlyList<string> OtherData)
{
    /// <summary>True when dropping the database would destroy something the project did not make.</summary>
    public bool HoldsMoreThanTheProject => SupabaseSchemas.Count > 0 || OtherData.Count > 0;

    /// <summary>One line for a message.</summary>
    public string Describe()
    {
        var parts = new List<string>();
        if (SupabaseSchemas.Count > 0) parts.Add("Supabase's own schemas: " + string.Join("; ", SupabaseSchemas));
        if (OtherData.Count > 0) parts.Add("rows in tables no migration of this project creates: " + string.Join(", ", OtherData));
        return string.Join("; and ", parts);
    }
}

/// <summary>
/// The checks a destructive verb makes before it touches a database: is it the project's own cluster, and does it
/// hold more than the project's tables (Supabase's auth, storage, realtime…, or other data)?
/// </summary>
public static partial class DestructiveGuard
{
    /// <summary>Schemas that only Supabase's services create (the platform layer stands in for auth and storage only, marked by comments).</summary>
    private static readonly string[] SupabaseServiceSchemas =
        ["realtime", "_realtime", "supabase_functions", "graphql", "graphql_public", "pgsodium", "pgsodium_masks", "vault", "net", "_analytics", "supabase_admin"];

    private const string AuthTables = """
        select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'auth' and c.relkind in ('r', 'p')
          and not (c.relname = 'users' and coalesce(obj_description(c.oid, 'pg_class'), '') like 'Minimal stand-in for Supabase GoTrue%')
        order by c.relname <> 'schema_migrations', c.relname <> 'identities', c.relname
        """;

    private const string StorageIsReal = """
        select to_regnamespace('storage') is not null
           and coalesce(obj_description(to_regnamespace('storage'), 'pg_namespace'), '') not like 'Minimal stand-in for Supabase Storage%'
        """;

    private const string PresentSchemas = "select nspname from pg_namespace where nspname = any($1) order by nspname";

    /// <summary>Tables outside the system, the journal and Supabase's schemas (reported apart), with their quoted names.</summary>
    private const string CandidateTables = """
        select n.nspname, c.relname, format('%I.%I', n.nspname, c.relname)
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where c.relkind in ('r', 'p') and not c.relispartition
          and n.nspname not in ('pg_catalog', 'information_schema', 'supabase_migrations', 'auth', 'storage', 'extensions')
          and n.nspname not like 'pg\_%' and n.nspname <> all($1)
          and not exists (select 1 from pg_depend d where d.objid = c.oid and d.classid = 'pg_class'::regclass and d.deptype = 'e')
        order by 1, 2
        """;

    [GeneratedRegex("""\bcreate\s+(?:(?:global|local)\s+)?(?:(?:temp|temporary|unlogged)\s+)?table\s+(?:if\s+not\s+exists\s+)?((?:"(?:[^"]|"")+"|[\w$]+)(?:\s*\.\s*(?:"(?:[^"]|"")+"|[\w$]+))?)""",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex CreateTable();

    [GeneratedRegex("""\balter\s+table\s+(?:if\s+exists\s+)?(?:only\s+)?((?:"(?:[^"]|"")+"|[\w$]+)(?:\s*\.\s*(?:"(?:[^"]|"")+"|[\w$]+))?)\s+rename\s+to\s+("(?:[^"]|"")+"|[\w$]+)""",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex RenameTable();

    /// <summary>
    /// Proves that the server behind <paramref name="dataSource"/> runs from <paramref name="dataDirectory"/>: another server
    /// on the port (a `supabase start` stack on 54322, a cluster of another project) is refused, whatever --yes says.
    /// </summary>
    public static async Task VerifyManagedClusterAsync(NpgsqlDataSource dataSource, string dataDirectory, string display, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        string? actual;
        try { actual = await SqlCommands.ScalarAsync<string>(connection, "select current_setting('data_directory')", ct); }
        catch (PostgresException) { actual = null; } // not allowed to read it: not our cluster, where postgres is superuser
        if (actual is not null && SamePath(actual, dataDirectory)) return;
        throw new DestructiveTargetRefusedException(
            $"the server on {display} is not this project's local cluster (that one runs from {dataDirectory}; this one " +
            $"{(actual is null ? "does not say where its data is" : $"from {actual}")}). Nothing was changed.\n" +
            "  fix: stop the other server or pick the project's port with --port; to work on that server on purpose, give it with --db-url and --yes.");
    }

    /// <summary>What the database holds besides the project's tables (named from the migration files) and the platform stand-ins.</summary>
    public static async Task<TargetContents> InspectAsync(NpgsqlDataSource dataSource, ProjectLayout layout, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var supabase = new List<string>();
        var auth = await ColumnAsync(connection, AuthTables, ct);
        if (auth.Count > 0)
        {
            var hasUsers = await TryScalarAsync(connection, "select exists (select 1 from auth.users)", ct);
            supabase.Add($"auth (GoTrue: {string.Join(", ", auth.Take(4).Select(t => "auth." + t))}{(auth.Count > 4 ? ", …" : "")}" +
                         $"{(hasUsers == true ? "; has users" : "")})");
        }
        if (await SqlCommands.ScalarAsync<bool>(connection, StorageIsReal, ct)) supabase.Add("storage (Supabase Storage)");
        var services = await ColumnAsync(connection, PresentSchemas, ct, new object[] { SupabaseServiceSchemas });
        supabase.AddRange(services);

        var projectTables = ProjectTables(layout);
        var other = new List<string>();
        var candidates = new List<(string Schema, string Table, string Quoted)>();
        await using (var command = new NpgsqlCommand(CandidateTables, connection) { Parameters = { new() { Value = SupabaseServiceSchemas } } })
        await using (var reader = await command.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct)) candidates.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2)));
        foreach (var (schema, table, quoted) in candidates)
        {
            if (projectTables.Contains((schema, table))) continue;
            // a table we may not read counts as holding data: refusing is the safe answer
            if (await TryScalarAsync(connection, $"select exists (select 1 from only {quoted})", ct) != false) other.Add(quoted);
            if (other.Count >= 10) { other.Add("…"); break; }
        }
        return new TargetContents(supabase, other);
    }

    /// <summary>(schema, table) of every table a migration of the project creates or renames to; unqualified names are public's.</summary>
    internal static HashSet<(string, string)> ProjectTables(ProjectLayout layout)
    {
        var tables = new HashSet<(string, string)>();
        foreach (var file in new MigrationSource(layout).LoadMigrations())
            foreach (var statement in file.Statements)
            {
                foreach (Match m in CreateTable().Matches(statement.Text)) tables.Add(Name(m.Groups[1].Value));
                foreach (Match m in RenameTable().Matches(statement.Text))
                    tables.Add((Name(m.Groups[1].Value).Item1, Part(m.Groups[2].Value)));
            }
        return tables;
    }

    private static (string, string) Name(string qualified)
    {
        var parts = Regex.Split(qualified, """\s*\.\s*(?=(?:[^"]*"[^"]*")*[^"]*$)""");
        return parts.Length == 2 ? (Part(parts[0]), Part(parts[1])) : ("public", Part(parts[0]));
    }

    private static string Part(string identifier) =>
        identifier.StartsWith('"') ? identifier[1..^1].Replace("\"\"", "\"", StringComparison.Ordinal) : identifier.ToLowerInvariant();

    private static bool SamePath(string a, string b) =>
        string.Equals(Path.TrimEndingDirectorySeparator(Path.GetFullPath(a)), Path.TrimEndingDirectorySeparator(Path.GetFullPath(b)), StringComparison.Ordinal);

    private static async Task<bool?> TryScalarAsync(NpgsqlConnection connection, string sql, CancellationToken ct)
    {
        try { return await SqlCommands.ScalarAsync<bool>(connection, sql, ct); }
        catch (PostgresException) { return null; }
    }

    private static async Task<List<string>> ColumnAsync(NpgsqlConnection connection, string sql, CancellationToken ct, params object[] args)
    {
        var values = new List<string>();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var a in args) command.Parameters.Add(new NpgsqlParameter { Value = a });
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) values.Add(reader.GetString(0));
        return values;
    }
}
