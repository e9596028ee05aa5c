using MentorStatus.Tooling.Security;
using Npgsql;

namespace MentorStatus.Tooling.Declarative;

/// <summary>
/// The objects of one database that `db diff -f` can write statements for, each with the SQL that creates it as the
/// catalog has it (pg_get_functiondef, pg_get_indexdef, pg_get_triggerdef, pg_get_constraintdef, policies rendered
/// from pg_policy). Platform schemas (auth, storage, extensions, …) and objects of extensions are left out: the
/// project's migrations do not own them. Names print schema-qualified (search_path pinned to pg_catalog).
/// </summary>
internal sealed class DraftCatalog
{
    private const string ProjectSchemas = "n.nspname <> all($1) and n.nspname !~ '^pg_'";

    private const string SchemasQuery = $"select n.nspname from pg_namespace n where {ProjectSchemas}";

    private const string TablesQuery = $"""
        select c.oid::regclass::text, c.relrowsecurity, c.relforcerowsecurity
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where c.relkind in ('r', 'p') and {ProjectSchemas}
          and not exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')
        """;

    private const string ColumnsQuery = $"""
        select c.oid::regclass::text, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
               pg_get_expr(d.adbin, d.adrelid), a.attidentity::text, a.attgenerated::text, a.attnum
        from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
        left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
        where c.relkind in ('r', 'p') and a.attnum > 0 and not a.attisdropped and {ProjectSchemas}
        order by c.oid, a.attnum
        """;

    private const string ConstraintsQuery = $"""
        select c.oid::regclass::text, co.conname, pg_get_constraintdef(co.oid), co.contype::text, coalesce(co.confrelid::regclass::text, '')
        from pg_constraint co join pg_class c on c.oid = co.conrelid join pg_namespace n on n.oid = c.relnamespace
        where {ProjectSchemas}
        order by c.oid, case co.contype when 'p' then 0 when 'u' then 1 when 'f' then 2 else 3 end, co.conname
        """;

    private const string IndexesQuery = $"""
        select i.indexrelid::regclass::text, i.indrelid::regclass::text, pg_get_indexdef(i.indexrelid)
        from pg_index i join pg_class ci on ci.oid = i.indexrelid join pg_namespace n on n.oid = ci.relnamespace
        where {ProjectSchemas}
          and not exists (select 1 from pg_constraint co where co.conindid = i.indexrelid and co.contype in ('p', 'u', 'x'))
        """;

    private const string FunctionsQuery = $"""
        select p.oid::regprocedure::text, p.prokind::text, pg_get_functiondef(p.oid), coalesce(pg_get_function_result(p.oid), '')
        from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where p.prokind in ('f', 'p') and {ProjectSchemas}
          and not exists (select 1 from pg_depend d where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e')
        """;

    private const string TriggersQuery = $"""
        select c.oid::regclass::text, t.tgname, pg_get_triggerdef(t.oid)
        from pg_trigger t join pg_class c on c.oid = t.tgrelid join pg_namespace n on n.oid = c.relnamespace
        where not t.tgisinternal and {ProjectSchemas}
        """;

    private const string PoliciesQuery = $"""
        select c.oid::regclass::text, p.polname, p.polcmd::text, p.polpermissive,
               array_to_string(array(select case when r = 0 then 'public' else quote_ident(r::regrole::text) end
                                     from unnest(p.polroles) r order by 1), ', '),
               pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid)
        from pg_policy p join pg_class c on c.oid = p.polrelid join pg_namespace n on n.oid = c.relnamespace
        where {ProjectSchemas}
        """;

    private const string EnumsQuery = $"""
        select t.oid::regtype::text, array_to_string(array(select quote_literal(e.enumlabel) from pg_enum e where e.enumtypid = t.oid order by e.enumsortorder), ', ')
        from pg_type t join pg_namespace n on n.oid = t.typnamespace
        where t.typtype = 'e' and {ProjectSchemas}
        """;

    // Every object that can carry a comment, with the target `comment on` names it by; the comment may be NULL.
    private const string CommentsQuery = $"""
        select case c.relkind when 'v' then 'view ' when 'm' then 'materialized view ' when 'S' then 'sequence '
                              when 'f' then 'foreign table ' when 'i' then 'index ' when 'I' then 'index ' else 'table ' end || c.oid::regclass::text,
               obj_description(c.oid, 'pg_class')
        from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.relkind in ('r', 'p', 'v', 'm', 'S', 'f', 'i', 'I') and {ProjectSchemas}
        union all
        select 'column ' || c.oid::regclass::text || '.' || quote_ident(a.attname), col_description(c.oid, a.attnum)
        from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
        where a.attnum > 0 and not a.attisdropped and c.relkind in ('r', 'p', 'v', 'm', 'f') and {ProjectSchemas}
        union all
        select case p.prokind when 'p' then 'procedure ' else 'function ' end || p.oid::regprocedure::text, obj_description(p.oid, 'pg_proc')
        from pg_proc p join pg_namespace n on n.oid = p.pronamespace where p.prokind in ('f', 'p') and {ProjectSchemas}
        union all
        select 'constraint ' || quote_ident(co.conname) || ' on ' || c.oid::regclass::text, obj_description(co.oid, 'pg_constraint')
        from pg_constraint co join pg_class c on c.oid = co.conrelid join pg_namespace n on n.oid = co.connamespace where {ProjectSchemas}
        union all
        select 'trigger ' || quote_ident(t.tgname) || ' on ' || c.oid::regclass::text, obj_description(t.oid, 'pg_trigger')
        from pg_trigger t join pg_class c on c.oid = t.tgrelid join pg_namespace n on n.oid = c.relnamespace where not t.tgisinternal and {ProjectSchemas}
        union all
        select 'policy ' || quote_ident(p.polname) || ' on ' || c.oid::regclass::text, obj_description(p.oid, 'pg_policy')
        from pg_policy p join pg_class c on c.oid = p.polrelid join pg_namespace n on n.oid = c.relnamespace where {ProjectSchemas}
        union all
        select 'type ' || t.oid::regtype::text, obj_description(t.oid, 'pg_type')
        from pg_type t join pg_namespace n on n.oid = t.typnamespace where t.typtype in ('e', 'd', 'r', 'm') and {ProjectSchemas}
        union all
        select 'schema ' || quote_ident(n.nspname), obj_description(n.oid, 'pg_namespace') from pg_namespace n where {ProjectSchemas}
        """;

    // Privileges: per object (the keyword `grant … on` names it by), its owner and each grant in the ACL's order.
    private const string PrivilegesQuery = $"""
        select x.target, x.owner, coalesce(string_agg(a.grantee || '=' || a.privileges, ' ' order by a.first), ''), bool_and(x.acl is null)
        from (
            select case c.relkind when 'S' then 'sequence ' else 'table ' end || c.oid::regclass::text as target, c.relowner::regrole::text as owner, c.relacl as acl
            from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.relkind in ('r', 'p', 'v', 'm', 'S', 'f') and {ProjectSchemas}
            union all
            select case p.prokind when 'p' then 'procedure ' else 'function ' end || p.oid::regprocedure::text, p.proowner::regrole::text, p.proacl
            from pg_proc p join pg_namespace n on n.oid = p.pronamespace where p.prokind in ('f', 'p') and {ProjectSchemas}
            union all
            select 'schema ' || quote_ident(n.nspname), n.nspowner::regrole::text, n.nspacl from pg_namespace n where {ProjectSchemas}
        ) x
        left join lateral (
            select case when e.grantee = 0 then 'public' else e.grantee::regrole::text end as grantee,
                   string_agg(lower(e.privilege_type), ', ' order by e.ord) || case when bool_or(e.is_grantable) then ' with grant option' else '' end as privileges,
                   min(e.ord) as first
            from aclexplode(x.acl) with ordinality e(grantor, grantee, privilege_type, is_grantable, ord)
            group by e.grantee
        ) a on true
        group by x.target, x.owner, x.acl::text
        """;

    public HashSet<string> Schemas { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, Table> Tables { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, Index> Indexes { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, Function> Functions { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, string> Triggers { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, string> Policies { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, string> Enums { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, string?> Comments { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, Privileges> Grants { get; } = new(StringComparer.Ordinal);

    public sealed record Column(string Name, string Type, bool NotNull, string? Default, string Identity, string Generated)
    {
        public string Definition =>
            $"{Quote(Name)} {Type}" +
            (Generated == "s" ? $" generated always as ({Default}) stored" : Default is not null ? $" default {Default}" : "") +
            (Identity is "a" or "d" ? $" generated {(Identity == "a" ? "always" : "by default")} as identity" : "") +
            (NotNull ? " not null" : "");
    }

    public sealed record Constraint(string Name, string Definition, string Type, string References);

    public sealed class Table(string name, bool rls, bool forceRls)
    {
        public string Name { get; } = name;
        public bool Rls { get; } = rls;
        public bool ForceRls { get; } = forceRls;
        public List<Column> Columns { get; } = [];
        public List<Constraint> Constraints { get; } = [];
    }

    public sealed record Index(string Name, string Table, string Definition);
    public sealed record Function(string Signature, string Kind, string Definition, string Result)
    {
        public string Keyword => Kind == "p" ? "procedure" : "function";
    }

    /// <summary>The grants of one object in ACL order (grantee=privileges), and whether the ACL is the default (NULL).</summary>
    public sealed record Privileges(string Target, string Owner, IReadOnlyList<(string Grantee, string Privileges)> Entries, bool IsDefault);

    public static async Task<DraftCatalog> ReadAsync(NpgsqlDataSource dataSource, CancellationToken ct)
    {
        var catalog = new DraftCatalog();
        var excluded = SecurityScope.Default.PlatformSchemas.Concat(["information_schema", "supabase_migrations"]).ToArray();
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using (var pin = new NpgsqlCommand("set search_path = pg_catalog", connection)) await pin.ExecuteNonQueryAsync(ct);

        async Task EachAsync(string sql, Action<NpgsqlDataReader> row)
        {
            await using var command = new NpgsqlCommand(sql, connection) { Parameters = { new() { Value = excluded } } };
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) row(reader);
        }
        static string? Text(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

        await EachAsync(SchemasQuery, r => catalog.Schemas.Add(r.GetString(0)));
        await EachAsync(TablesQuery, r => catalog.Tables[r.GetString(0)] = new Table(r.GetString(0), r.GetBoolean(1), r.GetBoolean(2)));
        await EachAsync(ColumnsQuery, r =>
        {
            if (catalog.Tables.TryGetValue(r.GetString(0), out var table))
                table.Columns.Add(new Column(r.GetString(1), r.GetString(2), r.GetBoolean(3), Text(r, 4), r.GetString(5), r.GetString(6)));
        });
        await EachAsync(ConstraintsQuery, r =>
        {
            if (catalog.Tables.TryGetValue(r.GetString(0), out var table))
                table.Constraints.Add(new Constraint(r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4)));
        });
        await EachAsync(IndexesQuery, r => catalog.Indexes[r.GetString(0)] = new Index(r.GetString(0), r.GetString(1), r.GetString(2)));
        await EachAsync(FunctionsQuery, r => catalog.Functions[r.GetString(0)] = new Function(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3)));
        await EachAsync(TriggersQuery, r => catalog.Triggers[$"{Quote(r.GetString(1))} on {r.GetString(0)}"] = r.GetString(2));
        await EachAsync(PoliciesQuery, r =>
        {
            var command = r.GetString(2) switch { "r" => "select", "a" => "insert", "w" => "update", "d" => "delete", _ => "all" };
            var sql = $"create policy {Quote(r.GetString(1))} on {r.GetString(0)}\n    as {(r.GetBoolean(3) ? "permissive" : "restrictive")} for {command} to {r.GetString(4)}" +
                      (Text(r, 5) is { } qual ? $"\n    using ({qual})" : "") + (Text(r, 6) is { } check ? $"\n    with check ({check})" : "");
            catalog.Policies[$"{Quote(r.GetString(1))} on {r.GetString(0)}"] = sql;
        });
        await EachAsync(EnumsQuery, r => catalog.Enums[r.GetString(0)] = r.GetString(1));
        await EachAsync(CommentsQuery, r => catalog.Comments[r.GetString(0)] = Text(r, 1));
        await EachAsync(PrivilegesQuery, r =>
        {
            var entries = ParseEntries(r.GetString(2));
            catalog.Grants[r.GetString(0)] = new Privileges(r.GetString(0), r.GetString(1), entries, r.GetBoolean(3));
        });
        return catalog;
    }

    /// <summary>"a=select, insert b=execute" → [(a, "select, insert"), (b, "execute")]: entries are separated by a space before "name=".</summary>
    private static List<(string, string)> ParseEntries(string text)
    {
        var entries = new List<(string, string)>();
        foreach (var part in System.Text.RegularExpressions.Regex.Split(text, @" (?=[^ =,]+=)"))
        {
            if (part.Length == 0) continue;
            var equals = part.IndexOf('=', StringComparison.Ordinal);
            entries.Add((part[..equals], part[(equals + 1)..]));
        }
        return entries;
    }

    public static string Quote(string identifier) =>
        System.Text.RegularExpressions.Regex.IsMatch(identifier, "^[a-z_][a-z0-9_$]*$") ? identifier : "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
