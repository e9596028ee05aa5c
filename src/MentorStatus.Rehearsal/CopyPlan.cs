using System.Globalization;
using Npgsql;

namespace MentorStatus.Rehearsal;

/// <summary>One table to copy: its columns, and the filter that samples it (null: every row).</summary>
public sealed record TableToCopy(string Name, double EstimatedRows, long EstimatedBytes, IReadOnlyList<string> Columns, bool TextFormat, string? Filter, bool Sampled)
{
    /// <summary>The COPY … TO STDOUT the source runs; alias t0 names the table in the filter.</summary>
    public string CopyOut(string format) => Filter is null
        ? $"copy {Name} ({string.Join(", ", Columns)}) to stdout (format {format})"
        : $"copy (select {string.Join(", ", Columns.Select(c => "t0." + c))} from {Name} t0 where {Filter}) to stdout (format {format})";

    public string CopyIn(string format) => $"copy {Name} ({string.Join(", ", Columns)}) from stdin (format {format})";
}

/// <summary>
/// Which rows of which tables to copy. With --sample P, the "owner" tables are sampled: a table that other
/// tables' rows belong to (an ON DELETE CASCADE foreign key points at it), that no other table merely refers to
/// (no foreign key without CASCADE points at it: such a table is reference data and is copied whole), has a
/// primary key and at least <see cref="SampleMinRows"/> rows. P % of its rows are kept, chosen by a hash of the
/// primary key (the same rows every run). Every other table keeps exactly the rows whose referenced rows were
/// kept, so every foreign key still holds in the copy. With --tables, the named tables and every table they
/// reference are copied whole and the others are left empty, except the migration journal: it is always copied
/// whole, since it decides which migrations are pending on the copy.
/// </summary>
internal static class CopyPlan
{
    public const double SampleMinRows = 1000;

    /// <summary>The schema of the migration journal shared with the Supabase CLI (schema_migrations, seed_files).</summary>
    private const string JournalSchema = "supabase_migrations";

    private const string SelectTables = $"""
        select c.oid, quote_ident(n.nspname) || '.' || quote_ident(c.relname), n.nspname || '.' || c.relname,
               c.reltuples::float8, pg_table_size(c.oid),
               array(select quote_ident(a.attname) from pg_attribute a
                     where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped and a.attgenerated = '' order by a.attnum),
               -- binary COPY carries the type oid of array elements and composite fields: those differ between databases
               exists (select 1 from pg_attribute a join pg_type t on t.oid = a.atttypid
                       where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
                         and ((t.typcategory = 'A' and t.typelem >= 16384) or (t.typtype in ('c', 'r', 'm') and t.oid >= 16384))),
               coalesce((select array(select quote_ident(a.attname) from unnest(i.indkey) with ordinality k(attnum, ord)
                                      join pg_attribute a on a.attrelid = c.oid and a.attnum = k.attnum order by k.ord)
                         from pg_index i where i.indrelid = c.oid and i.indisprimary), array[]::text[])
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where c.relkind = 'r' and c.relpersistence <> 't' and {SourceCheck.UserSchemas}
          and not exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')
        order by pg_table_size(c.oid) desc
        """;

    private const string SelectForeignKeys = """
        select co.conrelid, co.confrelid, co.confdeltype::text,
               array(select quote_ident(a.attname) from unnest(co.conkey) with ordinality k(attnum, ord)
                     join pg_attribute a on a.attrelid = co.conrelid and a.attnum = k.attnum order by k.ord),
               array(select quote_ident(a.attname) from unnest(co.confkey) with ordinality k(attnum, ord)
                     join pg_attribute a on a.attrelid = co.confrelid and a.attnum = k.attnum order by k.ord),
               (select bool_and(a.attnotnull) from pg_attribute a where a.attrelid = co.conrelid and a.attnum = any (co.conkey))
        from pg_constraint co where co.contype = 'f'
        """;

    private sealed record Table(uint Oid, string Name, string PlainName, double Rows, long Bytes, string[] Columns, bool TextFormat, string[] PrimaryKey);

    /// <param name="NotNull">Every column of the key is NOT NULL: the filter needs no "is null or" (which would keep the
    /// planner from a join: a per-row subplan over the whole table instead).</param>
    private sealed record ForeignKey(uint Child, uint Parent, bool Cascade, string[] ChildColumns, string[] ParentColumns, bool NotNull);

    public static async Task<IReadOnlyList<TableToCopy>> BuildAsync(NpgsqlConnection source, double? samplePercent, IReadOnlyList<string> only, CancellationToken ct)
    {
        var tables = new Dictionary<uint, Table>();
        await using (var command = new NpgsqlCommand(SelectTables, source))
        await using (var reader = await command.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct))
            {
                var t = new Table(reader.GetFieldValue<uint>(0), reader.GetString(1), reader.GetString(2), Math.Max(0, reader.GetDouble(3)),
                    reader.GetInt64(4), reader.GetFieldValue<string[]>(5), reader.GetBoolean(6), reader.GetFieldValue<string[]>(7));
                tables[t.Oid] = t;
            }
        var keys = new List<ForeignKey>();
        await using (var command = new NpgsqlCommand(SelectForeignKeys, source))
        await using (var reader = await command.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct))
            {
                var key = new ForeignKey(reader.GetFieldValue<uint>(0), reader.GetFieldValue<uint>(1), reader.GetString(2) == "c",
                    reader.GetFieldValue<string[]>(3), reader.GetFieldValue<string[]>(4), !reader.IsDBNull(5) && reader.GetBoolean(5));
                if (tables.ContainsKey(key.Child) && tables.ContainsKey(key.Parent)) keys.Add(key);
            }

        if (only.Count > 0) return OnlyTables(tables, keys, only);
        if (samplePercent is not { } percent || percent >= 100)
            return tables.Values.Select(t => Whole(t)).ToList();

        var referencedPlainly = keys.Where(k => !k.Cascade && k.Child != k.Parent).Select(k => k.Parent).ToHashSet();
        var owners = keys.Where(k => k.Cascade && k.Child != k.Parent).Select(k => k.Parent).ToHashSet();
        var roots = tables.Values
            .Where(t => owners.Contains(t.Oid) && !referencedPlainly.Contains(t.Oid) && t.PrimaryKey.Length > 0 && t.Rows >= SampleMinRows)
            .Select(t => t.Oid).ToHashSet();
        var threshold = Math.Max(1, (int)Math.Round(percent * 100, MidpointRounding.AwayFromZero)).ToString(CultureInfo.InvariantCulture);
        var filtered = new Dictionary<uint, bool>();

        bool IsFiltered(uint oid, HashSet<uint> visiting)
        {
            if (filtered.TryGetValue(oid, out var known)) return known;
            if (roots.Contains(oid)) return filtered[oid] = true;
            if (!visiting.Add(oid)) return false; // a cycle of foreign keys: not followed
            var result = keys.Any(k => k.Child == oid && k.Parent != oid && IsFiltered(k.Parent, visiting));
            visiting.Remove(oid);
            return filtered[oid] = result;
        }

        string Predicate(Table table, string alias, int depth)
        {
            var parts = new List<string>();
            if (roots.Contains(table.Oid))
            {
                var key = table.PrimaryKey.Length == 1
                    ? $"{alias}.{table.PrimaryKey[0]}::text"
                    : $"row({string.Join(", ", table.PrimaryKey.Select(c => alias + "." + c))})::text";
                parts.Add($"(hashtext({key}) & 2147483647) % 10000 < {threshold}");
            }
            if (depth < 8)
                foreach (var key in keys.Where(k => k.Child == table.Oid && k.Parent != table.Oid && IsFiltered(k.Parent, [])))
                {
                    var parent = tables[key.Parent];
                    var p = $"t{depth + 1}";
                    var join = string.Join(" and ", key.ParentColumns.Zip(key.ChildColumns, (pc, cc) => $"{p}.{pc} = {alias}.{cc}"));
                    var exists = $"exists (select 1 from {parent.Name} {p} where {join} and {Predicate(parent, p, depth + 1)})";
                    var anyNull = string.Join(" or ", key.ChildColumns.Select(c => $"{alias}.{c} is null"));
                    parts.Add(key.NotNull ? exists : $"({anyNull} or {exists})");
                }
            return parts.Count == 0 ? "true" : string.Join(" and ", parts);
        }

        return tables.Values.Select(t =>
        {
            if (!IsFiltered(t.Oid, [])) return Whole(t);
            var share = percent / 100;
            return new TableToCopy(t.Name, t.Rows * share, (long)(t.Bytes * share), t.Columns, t.TextFormat, Predicate(t, "t0", 0), true);
        }).ToList();
    }

    private static TableToCopy Whole(Table t) => new(t.Name, t.Rows, t.Bytes, t.Columns, t.TextFormat, null, false);

    private static List<TableToCopy> OnlyTables(Dictionary<uint, Table> tables, List<ForeignKey> keys, IReadOnlyList<string> only)
    {
        var chosen = new HashSet<uint>();
        foreach (var name in only)
        {
            var wanted = name.Contains('.') ? name : "public." + name;
            var match = tables.Values.FirstOrDefault(t => t.PlainName == wanted || t.Name == wanted)
                ?? throw new UnknownTableException(name);
            chosen.Add(match.Oid);
        }
        // The migration journal comes along: without its rows every migration would look pending on the copy and be
        // applied again over the schema it already made ("relation … already exists"), whatever the tables named.
        foreach (var journal in tables.Values.Where(t => t.PlainName.StartsWith(JournalSchema + ".", StringComparison.Ordinal)))
            chosen.Add(journal.Oid);
        // Referenced tables come along, or the copy's foreign keys could not be created.
        var queue = new Queue<uint>(chosen);
        while (queue.TryDequeue(out var oid))
            foreach (var key in keys.Where(k => k.Child == oid))
                if (chosen.Add(key.Parent)) queue.Enqueue(key.Parent);
        return tables.Values.Where(t => chosen.Contains(t.Oid)).Select(Whole).ToList();
    }
}
