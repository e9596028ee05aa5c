using System.Text;
using Npgsql;
using Xunit.Abstractions;

namespace MentorStatus.Tests.Reliability;

/// <summary>One input tried against an entry point, and what came of it.</summary>
/// <param name="KnownIssue">Set for a reported finding in code this group does not own: printed as such, not counted as clean.</param>
internal sealed record CatalogueRow(string EntryPoint, string Input, bool RejectedCleanly, int RowsChanged, string Outcome, string? KnownIssue = null);

/// <summary>
/// The bad-input table every catalogue test prints and asserts, and the before/after snapshot that counts
/// "rows changed": every row of every table in public, auth and supabase_migrations, plus every relation and
/// function outside the system schemas. Rows changed = size of the symmetric difference of the two snapshots.
/// </summary>
internal static class Catalogue
{
    private const string Tables = """
        select quote_ident(n.nspname) || '.' || quote_ident(c.relname)
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where c.relkind in ('r', 'p') and n.nspname in ('public', 'auth', 'supabase_migrations')
        order by 1
        """;

    private const string Objects = """
        select 'relation ' || n.nspname || '.' || c.relname || ' ' || c.relkind::text
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast') and n.nspname not like 'pg\_%temp%'
        union all
        select 'function ' || p.oid::regprocedure::text
        from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where n.nspname not in ('pg_catalog', 'information_schema')
        union all
        select 'index-valid ' || i.indexrelid::regclass::text || ' ' || i.indisvalid
        from pg_index i join pg_class c on c.oid = i.indexrelid join pg_namespace n on n.oid = c.relnamespace
        where n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast')
        """;

    public static async Task<HashSet<string>> SnapshotAsync(NpgsqlDataSource data, IEnumerable<string>? files = null)
    {
        var rows = new HashSet<string>(StringComparer.Ordinal);
        var tables = new List<string>();
        await using (var command = data.CreateCommand(Tables))
        await using (var reader = await command.ExecuteReaderAsync())
            while (await reader.ReadAsync()) tables.Add(reader.GetString(0));
        var sql = string.Join("\nunion all\n", tables.Select(t => $"select '{t} ' || t::text from {t} t").Append(Objects));
        await using (var command = data.CreateCommand(sql))
        await using (var reader = await command.ExecuteReaderAsync())
            while (await reader.ReadAsync()) rows.Add(reader.GetString(0));
        foreach (var file in files ?? []) rows.Add("file " + file);
        return rows;
    }

    public static int Changed(HashSet<string> before, HashSet<string> after) =>
        before.Count(r => !after.Contains(r)) + after.Count(r => !before.Contains(r));

    public static IEnumerable<string> ProjectFiles(string root) =>
        Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(root, f) + " " + new FileInfo(f).Length);

    /// <summary>Prints the table, then fails on any row not rejected cleanly or with rows changed.</summary>
    public static void PrintAndAssert(ITestOutputHelper output, string title, IReadOnlyList<CatalogueRow> rows)
    {
        var table = new StringBuilder();
        table.AppendLine(CultureInfo.InvariantCulture, $"{title}: {rows.Count} inputs tried, {rows.Count(r => r.RejectedCleanly)} rejected cleanly, {rows.Count(r => r.KnownIssue is not null)} known issues, {rows.Sum(r => r.RowsChanged)} rows changed");
        table.AppendLine("| # | entry point | input tried | rejected cleanly | rows changed | error |");
        table.AppendLine("|---|---|---|---|---|---|");
        var n = 0;
        foreach (var r in rows)
            table.AppendLine(CultureInfo.InvariantCulture, $"| {++n} | {Cell(r.EntryPoint)} | {Cell(r.Input)} | {(r.RejectedCleanly ? "yes" : r.KnownIssue is null ? "NO" : "no (known issue)")} | {r.RowsChanged} | {Cell((r.KnownIssue is null ? "" : r.KnownIssue + " — ") + r.Outcome, 200)} |");
        output.WriteLine(table.ToString());
        var bad = rows.Where(r => (!r.RejectedCleanly && r.KnownIssue is null) || r.RowsChanged != 0).ToList();
        Assert.True(bad.Count == 0, "not rejected cleanly, or wrote something:\n" +
            string.Join("\n", bad.Select(r => $"{r.EntryPoint} | {r.Input} | clean={r.RejectedCleanly} | rows={r.RowsChanged} | {r.Outcome}")));
    }

    public static string Cell(string text, int max = 90)
    {
        var flat = text.ReplaceLineEndings(" ").Replace("|", "\\|").Replace("\0", "\\0");
        return flat.Length <= max ? flat : flat[..max] + $"… ({flat.Length} chars)";
    }
}
