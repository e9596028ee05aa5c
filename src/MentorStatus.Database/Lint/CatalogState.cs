using Npgsql;

namespace MentorStatus.Database.Lint;

public sealed record RelationInfo(uint Oid, string Schema, string Name, char Kind, uint FileNode, bool RowSecurity, bool Exposed, bool AppendOnly)
{
    public string QualifiedName => $"{Schema}.{Name}";
}

public sealed record ColumnInfo(uint Table, short Number, string Name, string Type, bool NotNull, bool HasDefault);

public sealed record ConstraintInfo(uint Oid, uint Table, string Name, char Type, bool Validated, string Definition);

public sealed record IndexInfo(uint Oid, uint Table, string Name, bool Unique, bool Primary);

public sealed record PolicyInfo(uint Oid, uint Table, string Name, string Expressions);

public sealed record FunctionInfo(uint Oid, string Signature, bool SecurityDefiner, bool FixedSearchPath);

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

    // Exposed = reachable through PostgREST: in public, RLS off, and anon or authenticated may read or write.
    private const string SelectRelations = $"""
        select c.oid, n.nspname, c.relname, c.relkind::text, c.relfilenode, c.relrowsecurity,
               n.nspname = 'public' and c.relkind in ('r', 'p') and not c.relrowsecurity
                 and exists (select 1 from unnest(array['anon', 'authenticated']) r(role)
                             where to_regrole(r.role) is not null
                               and has_table_privilege(r.role, c.oid, 'select, insert, update, delete')),
               coalesce(obj_description(c.oid, 'pg_class'), '') ~* 'append[- ]only'
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where c.relkind in ('r', 'p', 'v', 'm', 'i', 'I', 'S', 'f') and {UserSchemas}
        """;

    private const string SelectColumns = $"""
        select a.attrelid, a.attnum, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, a.atthasdef
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

    private const string SelectPolicies = """
        select p.oid, p.polrelid, p.polname,
               coalesce(pg_get_expr(p.polqual, p.polrelid), '') || ' ' || coalesce(pg_get_expr(p.polwithcheck, p.polrelid), '')
        from pg_policy p
        """;

    private const string SelectFunctions = $"""
        select p.oid, p.oid::regprocedure::text, p.prosecdef,
               exists (select 1 from unnest(p.proconfig) s where s like 'search_path=%')
        from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where {UserSchemas}
        """;

    public required IReadOnlyDictionary<uint, RelationInfo> Relations { get; init; }
    public required IReadOnlyDictionary<(uint Table, short Number), ColumnInfo> Columns { get; init; }
    public required IReadOnlyDictionary<uint, ConstraintInfo> Constraints { get; init; }
    public required IReadOnlyDictionary<uint, IndexInfo> Indexes { get; init; }
    public required IReadOnlyDictionary<uint, PolicyInfo> Policies { get; init; }
    public required IReadOnlyDictionary<uint, FunctionInfo> Functions { get; init; }

    public string NameOf(uint relation) => Relations.TryGetValue(relation, out var r) ? r.QualifiedName : $"relation {relation}";

    public static async Task<CatalogState> ReadAsync(NpgsqlConnection connection, CancellationToken ct) => new()
    {
        Relations = (await ReadAsync(connection, SelectRelations, r => new RelationInfo(
            r.GetFieldValue<uint>(0), r.GetString(1), r.GetString(2), r.GetString(3)[0], r.GetFieldValue<uint>(4),
            r.GetBoolean(5), r.GetBoolean(6), r.GetBoolean(7)), ct)).ToDictionary(x => x.Oid),
        Columns = (await ReadAsync(connection, SelectColumns, r => new ColumnInfo(
            r.GetFieldValue<uint>(0), r.GetInt16(1), r.GetString(2), r.GetString(3), r.GetBoolean(4), r.GetBoolean(5)), ct))
            .ToDictionary(x => (x.Table, x.Number)),
        Constraints = (await ReadAsync(connection, SelectConstraints, r => new ConstraintInfo(
            r.GetFieldValue<uint>(0), r.GetFieldValue<uint>(1), r.GetString(2), r.GetString(3)[0], r.GetBoolean(4), r.GetString(5)), ct))
            .ToDictionary(x => x.Oid),
        Indexes = (await ReadAsync(connection, SelectIndexes, r => new IndexInfo(
            r.GetFieldValue<uint>(0), r.GetFieldValue<uint>(1), r.GetString(2), r.GetBoolean(3), r.GetBoolean(4)), ct))
            .ToDictionary(x => x.Oid),
        Policies = (await ReadAsync(connection, SelectPolicies, r => new PolicyInfo(
            r.GetFieldValue<uint>(0), r.GetFieldValue<uint>(1), r.GetString(2), r.GetString(3)), ct)).ToDictionary(x => x.Oid),
        Functions = (await ReadAsync(connection, SelectFunctions, r => new FunctionInfo(
            r.GetFieldValue<uint>(0), r.GetString(1), r.GetBoolean(2), r.GetBoolean(3)), ct)).ToDictionary(x => x.Oid),
    };

    private static async Task<List<T>> ReadAsync<T>(NpgsqlConnection connection, string sql, Func<NpgsqlDataReader, T> map, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var list = new List<T>();
        while (await reader.ReadAsync(ct)) list.Add(map(reader));
        return list;
    }
}
