using Npgsql;

namespace MentorStatus.Tooling.Lint;

/// <param name="Exposed">A table in an exposed schema, RLS off, that anon or authenticated may read or write.</param>
/// <param name="ApiReadable">anon or authenticated holds SELECT on it.</param>
/// <param name="SecurityInvoker">A view created `with (security_invoker = true)`: it checks RLS as the caller.</param>
/// <param name="RlsSources">For views and materialized views: the tables with RLS they read, directly or through other views.</param>
/// <param name="ReadsAuthUsers">For views and materialized views: reads auth.users, directly or through other views.</param>
public sealed record RelationInfo(uint Oid, string Schema, string Name, char Kind, uint FileNode, bool RowSecurity, bool Exposed, bool AppendOnly,
    bool ApiReadable = false, bool SecurityInvoker = false, string RlsSources = "", bool ReadsAuthUsers = false, bool PublicData = false)
{
    public string QualifiedName => $"{Schema}.{Name}";

    public string KindName => Kind switch
    {
        'v' => "view", 'm' => "materialized view", 'i' or 'I' => "index", 'S' => "sequence", 'f' => "foreign table", _ => "table",
    };
}

/// <param name="Generated">'s' for a stored generated column, empty otherwise.</param>
public sealed record ColumnInfo(uint Table, short Number, string Name, string Type, bool NotNull, bool HasDefault, string Generated = "");

public sealed record ConstraintInfo(uint Oid, uint Table, string Name, char Type, bool Validated, string Definition);

public sealed record IndexInfo(uint Oid, uint Table, string Name, bool Unique, bool Primary);

/// <param name="Command">r select, a insert, w update, d delete, * all.</param>
/// <param name="Roles">Role names the policy applies to; "public" means every role.</param>
public sealed record PolicyInfo(uint Oid, uint Table, string Name, string Expressions,
    char Command = '*', IReadOnlyList<string>? Roles = null, bool Permissive = true, string Using = "", string Check = "");

/// <param name="SearchPath">The value of `set search_path` in the function's definition, null when it sets none.</param>
/// <param name="ApiExecutable">anon or authenticated may execute it, and it sits in a schema the API exposes.</param>
/// <param name="RowVersion">The xmin of its pg_proc row: it changes when the function is (re-)created or altered.</param>
public sealed record FunctionInfo(uint Oid, string Signature, bool SecurityDefiner, bool FixedSearchPath,
    string? SearchPath = null, string Schema = "", bool ApiExecutable = false, bool ReturnsTrigger = false, string RowVersion = "");

public sealed record ExtensionInfo(uint Oid, string Name, string Schema);

/// <summary>
/// What the rules need to know of the catalog at one moment of a replay: user relations with their
/// file nodes (a new relfilenode = a rewrite), columns, constraints, indexes, policies and functions.
/// Read inside the replay transaction, so it sees the migration's uncommitted changes.
/// </summary>
public sealed class CatalogState
{
    // Schemas of PostgreSQL itself and of the migration journal are not the migration's business.
    private const string UserSchemas = """
        n.nspname not in ('pg_catalog', 'information_schema', 'supabase_migrations')
        and n.nspname !~ '^pg_(toast|temp_)'
        """;

    // Not the objects an extension brings (pgcrypto's functions, a stand-in's tables): they are not the migration's.
    private const string NotExtensionRelation = "not exists (select 1 from pg_depend e where e.classid = 'pg_class'::regclass and e.objid = c.oid and e.deptype = 'e')";
    private const string NotExtensionFunction = "not exists (select 1 from pg_depend e where e.classid = 'pg_proc'::regclass and e.objid = p.oid and e.deptype = 'e')";

    // Exposed = reachable through PostgREST: in an exposed schema ($1), RLS off, and anon or authenticated may read or write.
    // Views: the RLS tables they read, found through the dependencies of their rewrite rules, views within views included.
    // Read after every statement that changes the catalog, so written for speed: comments by a join rather than
    // obj_description() per row, and a view's tables looked up by OID (an OR with to_regclass() made it a scan of pg_class per view).
    private const string SelectRelations = $"""
        with api(role) as (select r from unnest(array['anon', 'authenticated']) r where to_regrole(r) is not null)
        select c.oid, n.nspname, c.relname, c.relkind::text, c.relfilenode, c.relrowsecurity,
               n.nspname = any($1) and c.relkind in ('r', 'p') and not c.relrowsecurity
                 and exists (select 1 from api where has_table_privilege(api.role, c.oid, 'select, insert, update, delete')),
               coalesce(d.description, '') ~* 'append[- ]only',
               exists (select 1 from api where has_table_privilege(api.role, c.oid, 'select')),
               coalesce(c.reloptions, array[]::text[]) && array['security_invoker=true', 'security_invoker=on', 'security_invoker=1', 'security_invoker=yes'],
               case when c.relkind in ('v', 'm') then (
                   with recursive reads(oid) as (
                       select d.refobjid from pg_rewrite w join pg_depend d on d.classid = 'pg_rewrite'::regclass and d.objid = w.oid
                       where w.ev_class = c.oid and d.refclassid = 'pg_class'::regclass and d.refobjid <> c.oid
                       union
                       select d.refobjid from reads join pg_rewrite w on w.ev_class = reads.oid
                       join pg_depend d on d.classid = 'pg_rewrite'::regclass and d.objid = w.oid
                       where d.refclassid = 'pg_class'::regclass and d.refobjid <> reads.oid)
                   select string_agg(distinct t.oid::regclass::text, ', ') || '|' || bool_or(t.oid = users.oid)::text
                   from reads cross join (select to_regclass('auth.users')::oid) users(oid)
                   join lateral (select t.oid, t.relrowsecurity from pg_class t where t.oid = reads.oid offset 0) t on true
                   where t.relrowsecurity or t.oid = users.oid)
               end,
               coalesce(d.description, '') ~* 'public[- ]data'
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        left join pg_description d on d.objoid = c.oid and d.classoid = 'pg_class'::regclass and d.objsubid = 0
        where c.relkind in ('r', 'p', 'v', 'm', 'i', 'I', 'S', 'f') and {UserSchemas}
          and {NotExtensionRelation}
        """;

    private const string SelectColumns = $"""
        select a.attrelid, a.attnum, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, a.atthasdef, a.attgenerated::text
        from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
        where a.attnum > 0 and not a.attisdropped and c.relkind in ('r', 'p', 'v', 'm', 'f') and {UserSchemas}
        """;

    private const string SelectConstraints = $"""
        select co.oid, co.conrelid, co.conname, co.contype::text, co.convalidated, pg_get_constraintdef(co.oid)
        from pg_constraint co join pg_namespace n on n.oid = co.connamespace
        where co.conrelid <> 0 and {UserSchemas}
        """;

    private const string SelectIndexes = $"""
        select i.indexrelid, i.indrelid, c.relname, i.indisunique, i.indisprimary
        from pg_index i join pg_class c on c.oid = i.indexrelid join pg_namespace n on n.oid = c.relnamespace
        where {UserSchemas}
        """;

    // Each expression deparsed once (OFFSET 0 keeps the planner from copying the calls into every output column).
    private const string SelectPolicies = """
        select p.oid, p.polrelid, p.polname,
               e.qual || ' ' || e.checked,
               p.polcmd::text,
               array(select case when r = 0 then 'public' else r::regrole::text end from unnest(p.polroles) r order by 1),
               p.polpermissive,
               e.qual, e.checked
        from pg_policy p
        cross join lateral (select coalesce(pg_get_expr(p.polqual, p.polrelid), '') as qual,
                                   coalesce(pg_get_expr(p.polwithcheck, p.polrelid), '') as checked offset 0) e
        """;

    // In OID order (creation order): the findings about functions come in that order, whatever plan reads pg_proc.
    private const string SelectFunctions = $"""
        select p.oid, p.oid::regprocedure::text, p.prosecdef,
               exists (select 1 from unnest(p.proconfig) s where s like 'search_path=%'),
               (select substr(s, length('search_path=') + 1) from unnest(p.proconfig) s where s like 'search_path=%' limit 1),
               n.nspname,
               n.nspname = any($1) and exists (
                   select 1 from unnest(array['anon', 'authenticated']) r
                   where to_regrole(r) is not null and has_function_privilege(r, p.oid, 'execute')),
               p.prorettype in ('trigger'::regtype, 'event_trigger'::regtype),
               p.xmin::text
        from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where {UserSchemas} and {NotExtensionFunction}
        order by p.oid
        """;

    private const string SelectExtensions = """
        select e.oid, e.extname, e.extnamespace::regnamespace::text from pg_extension e
        """;

    public required IReadOnlyDictionary<uint, RelationInfo> Relations { get; init; }
    public required IReadOnlyDictionary<(uint Table, short Number), ColumnInfo> Columns { get; init; }
    public required IReadOnlyDictionary<uint, ConstraintInfo> Constraints { get; init; }
    public required IReadOnlyDictionary<uint, IndexInfo> Indexes { get; init; }
    public required IReadOnlyDictionary<uint, PolicyInfo> Policies { get; init; }
    public required IReadOnlyDictionary<uint, FunctionInfo> Functions { get; init; }
    public required IReadOnlyDictionary<uint, ExtensionInfo> Extensions { get; init; }

    public string NameOf(uint relation) => Relations.TryGetValue(relation, out var r) ? r.QualifiedName : $"relation {relation}";

    /// <summary>The seven parts of a state, in the order of their queries.</summary>
    internal enum Part { Relations, Columns, Constraints, Indexes, Policies, Functions, Extensions }

    /// <summary>
    /// The catalogs each part's query reads (names and their rendering included: regclass, regprocedure, format_type,
    /// privileges through roles). Null for the parts that deparse expressions (pg_get_constraintdef, pg_get_expr), which can
    /// name any object: they read every catalog but <see cref="NeverDeparsed"/> and the one given here.
    /// </summary>
    private static readonly Dictionary<Part, string[]> Reads = new()
    {
        [Part.Relations] = ["pg_class", "pg_namespace", "pg_depend", "pg_description", "pg_rewrite", "pg_authid", "pg_auth_members"],
        [Part.Columns] = ["pg_attribute", "pg_class", "pg_namespace", "pg_type", "pg_proc", "pg_collation"],
        [Part.Indexes] = ["pg_index", "pg_class", "pg_namespace"],
        [Part.Functions] = ["pg_proc", "pg_namespace", "pg_depend", "pg_type", "pg_authid", "pg_auth_members"],
        [Part.Extensions] = ["pg_extension", "pg_namespace"],
    };

    /// <summary>Catalogs no constraint definition or policy expression is printed from.</summary>
    private static readonly HashSet<string> NeverDeparsed =
        ["pg_description", "pg_shdescription", "pg_depend", "pg_shdepend", "pg_init_privs", "pg_seclabel", "pg_shseclabel", "pg_statistic"];

    /// <summary>Whether a part can differ after a statement that wrote to <paramref name="changed"/> (catalog table names).</summary>
    internal static bool CanChange(Part part, IReadOnlySet<string> changed) => part switch
    {
        Part.Constraints => changed.Any(c => !NeverDeparsed.Contains(c) && c != "pg_policy"),
        Part.Policies => changed.Any(c => !NeverDeparsed.Contains(c)),
        _ => Reads[part].Any(changed.Contains),
    };

    /// <summary>
    /// All seven catalog queries in one batch: one round trip per statement replayed, which is what the lint's time is made of.
    /// Prepared on the session (planned once, not after every statement); a file's DEALLOCATE or DISCARD is followed by
    /// <see cref="NpgsqlConnection.UnprepareAll"/> in the tracer, so Npgsql prepares them again.
    /// </summary>
    /// <param name="exposedSchemas">The schemas PostgREST serves (supabase/config.toml [api] schemas).</param>
    public static Task<CatalogState> ReadAsync(NpgsqlConnection connection, IReadOnlySet<string> exposedSchemas, CancellationToken ct) =>
        ReadAsync(connection, exposedSchemas, null, null, ct);

    /// <summary>
    /// Like <see cref="ReadAsync(NpgsqlConnection, IReadOnlySet{string}, CancellationToken)"/>, but after a statement that wrote
    /// only to the catalogs <paramref name="changed"/>: the parts that cannot differ are taken from <paramref name="previous"/>
    /// (the same rows a query would return: they read none of those catalogs).
    /// </summary>
    internal static async Task<CatalogState> ReadAsync(NpgsqlConnection connection, IReadOnlySet<string> exposedSchemas,
        CatalogState? previous, IReadOnlySet<string>? changed, CancellationToken ct)
    {
        var parts = Enum.GetValues<Part>().Where(p => previous is null || changed is null || CanChange(p, changed)).ToList();
        await using var batch = new NpgsqlBatch(connection);
        var all = Commands(exposedSchemas).ToList();
        foreach (var part in parts) batch.BatchCommands.Add(all[(int)part]);
        await batch.PrepareAsync(ct);
        await using var reader = await batch.ExecuteReaderAsync(ct);
        return await ReadResultsAsync(reader, parts, previous, ct);
    }

    /// <summary>The seven queries, to add to a batch of the caller's (their results are read with <see cref="ReadResultsAsync(NpgsqlDataReader, CancellationToken)"/>).</summary>
    internal static IEnumerable<NpgsqlBatchCommand> Commands(IReadOnlySet<string> exposedSchemas)
    {
        var exposed = exposedSchemas.ToArray();
        foreach (var sql in new[] { SelectRelations, SelectColumns, SelectConstraints, SelectIndexes, SelectPolicies, SelectFunctions, SelectExtensions })
        {
            var command = new NpgsqlBatchCommand(sql);
            if (sql.Contains("$1", StringComparison.Ordinal)) command.Parameters.Add(new NpgsqlParameter { Value = exposed });
            yield return command;
        }
    }

    /// <summary>Reads the results of <see cref="Commands"/>, starting at the reader's current result set.</summary>
    internal static Task<CatalogState> ReadResultsAsync(NpgsqlDataReader reader, CancellationToken ct) =>
        ReadResultsAsync(reader, Enum.GetValues<Part>(), null, ct);

    /// <summary>Reads the results of the queries of <paramref name="parts"/>, in order; the other parts come from <paramref name="previous"/>.</summary>
    private static async Task<CatalogState> ReadResultsAsync(NpgsqlDataReader reader, IReadOnlyList<Part> parts, CatalogState? previous, CancellationToken ct)
    {
        bool Read(Part part) => previous is null || parts.Contains(part);
        var relations = !Read(Part.Relations) ? null : await ReadAsync(reader, r =>
        {
            var view = r.IsDBNull(10) ? "|false" : r.GetString(10);
            return new RelationInfo(
                r.GetFieldValue<uint>(0), r.GetString(1), r.GetString(2), r.GetString(3)[0], r.GetFieldValue<uint>(4),
                r.GetBoolean(5), r.GetBoolean(6), r.GetBoolean(7), r.GetBoolean(8), r.GetBoolean(9),
                view[..view.LastIndexOf('|')], view.EndsWith("|true", StringComparison.Ordinal), r.GetBoolean(11));
        }, ct);
        var columns = !Read(Part.Columns) ? null : await ReadAsync(reader, r => new ColumnInfo(
            r.GetFieldValue<uint>(0), r.GetInt16(1), r.GetString(2), r.GetString(3), r.GetBoolean(4), r.GetBoolean(5), r.GetString(6)), ct);
        var constraints = !Read(Part.Constraints) ? null : await ReadAsync(reader, r => new ConstraintInfo(
            r.GetFieldValue<uint>(0), r.GetFieldValue<uint>(1), r.GetString(2), r.GetString(3)[0], r.GetBoolean(4), r.GetString(5)), ct);
        var indexes = !Read(Part.Indexes) ? null : await ReadAsync(reader, r => new IndexInfo(
            r.GetFieldValue<uint>(0), r.GetFieldValue<uint>(1), r.GetString(2), r.GetBoolean(3), r.GetBoolean(4)), ct);
        var policies = !Read(Part.Policies) ? null : await ReadAsync(reader, r => new PolicyInfo(
            r.GetFieldValue<uint>(0), r.GetFieldValue<uint>(1), r.GetString(2), r.GetString(3),
            r.GetString(4)[0], r.GetFieldValue<string[]>(5), r.GetBoolean(6), r.GetString(7), r.GetString(8)), ct);
        var functions = !Read(Part.Functions) ? null : await ReadAsync(reader, r => new FunctionInfo(
            r.GetFieldValue<uint>(0), r.GetString(1), r.GetBoolean(2), r.GetBoolean(3),
            r.IsDBNull(4) ? null : r.GetString(4), r.GetString(5), r.GetBoolean(6), r.GetBoolean(7), r.GetString(8)), ct);
        var extensions = !Read(Part.Extensions) ? null : await ReadAsync(reader, r => new ExtensionInfo(r.GetFieldValue<uint>(0), r.GetString(1), r.GetString(2)), ct);
        return new()
        {
            Relations = relations?.ToDictionary(x => x.Oid) ?? previous!.Relations,
            Columns = columns?.ToDictionary(x => (x.Table, x.Number)) ?? previous!.Columns,
            Constraints = constraints?.ToDictionary(x => x.Oid) ?? previous!.Constraints,
            Indexes = indexes?.ToDictionary(x => x.Oid) ?? previous!.Indexes,
            Policies = policies?.ToDictionary(x => x.Oid) ?? previous!.Policies,
            Functions = functions?.ToDictionary(x => x.Oid) ?? previous!.Functions,
            Extensions = extensions?.ToDictionary(x => x.Oid) ?? previous!.Extensions,
        };
    }

    /// <summary>Reads the current result set, then moves the reader to the next one.</summary>
    private static async Task<List<T>> ReadAsync<T>(NpgsqlDataReader reader, Func<NpgsqlDataReader, T> map, CancellationToken ct)
    {
        var list = new List<T>();
        while (await reader.ReadAsync(ct)) list.Add(map(reader));
        await reader.NextResultAsync(ct);
        return list;
    }
}
