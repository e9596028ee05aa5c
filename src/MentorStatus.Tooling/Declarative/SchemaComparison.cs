using MentorStatus.Tooling.Lint;
using Npgsql;

namespace MentorStatus.Tooling.Declarative;

/// <summary>
/// The catalog of a database built by the migrations against one built from the declarative files: every object and
/// property <see cref="SchemaSnapshot"/> reads, plus the rows of the tables in the exposed schemas (the reference data
/// the migrations insert: reason codes, rules, settings). Empty <see cref="Differences"/> means they agree.
/// </summary>
public sealed class SchemaComparison
{
    // Each table with the columns its rows are compared on: all but those that record when a row was written (default
    // now()), which differ between any two builds.
    private const string RowsOfExposedTables = """
        select c.oid::regclass::text,
               string_agg(quote_ident(a.attname), ', ' order by a.attnum)
                   filter (where coalesce(pg_get_expr(d.adbin, d.adrelid), '') not in ('now()', 'CURRENT_TIMESTAMP', 'clock_timestamp()'))
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
        left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
        where c.relkind in ('r', 'p') and n.nspname = any($1)
        group by c.oid order by 1
        """;

    /// <summary>"- line": only where the migrations ran; "+ line": only where the declarative files ran. Sorted by object.</summary>
    public IReadOnlyList<string> Differences { get; }

    public bool Agrees => Differences.Count == 0;

    private SchemaComparison(IReadOnlyList<string> differences) => Differences = differences;

    public static async Task<SchemaComparison> CompareAsync(NpgsqlDataSource migrations, NpgsqlDataSource declared,
        IReadOnlyList<string> exposedSchemas, CancellationToken ct = default)
    {
        var before = await ReadAsync(migrations, exposedSchemas, ct);
        var after = await ReadAsync(declared, exposedSchemas, ct);
        return new SchemaComparison(after.DifferencesFrom(before));
    }

    /// <summary>What a reader needs: which side has what, one line per object property.</summary>
    public string Describe(string migrationsSide = "the migrations", string declaredSide = "supabase/schemas")
    {
        if (Agrees) return $"{migrationsSide} and {declaredSide} agree";
        var lines = new List<string>
        {
            $"{migrationsSide} and {declaredSide} disagree ({Differences.Count} line(s); '-' only after {migrationsSide}, '+' only after {declaredSide}):",
        };
        lines.AddRange(Differences.Select(d => "  " + d));
        return string.Join('\n', lines);
    }

    internal static async Task<SchemaSnapshot> ReadAsync(NpgsqlDataSource dataSource, IReadOnlyList<string> exposedSchemas, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var snapshot = await SchemaSnapshot.ReadAsync(connection, ct);
        var tables = new List<(string Table, string Columns)>();
        await using (var list = new NpgsqlCommand(RowsOfExposedTables, connection) { Parameters = { new() { Value = exposedSchemas.ToArray() } } })
        await using (var reader = await list.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct)) if (!reader.IsDBNull(1)) tables.Add((reader.GetString(0), reader.GetString(1)));
        var rows = new List<string>();
        foreach (var (table, columns) in tables)
        {
            // Row text in a stable order; the tables of a database built only by migrations hold reference data, a few rows.
            await using var select = new NpgsqlCommand($"select row({columns})::text r from {table} order by 1", connection);
            await using var reader = await select.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) rows.Add($"row {table} {reader.GetString(0)}");
        }
        return snapshot.With(rows);
    }
}
