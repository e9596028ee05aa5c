using Npgsql;

namespace MentorStatus.Bench.Cases;

/// <summary>History growth: heap bytes per row, each index's size, and what time partitioning would change.</summary>
public static class GrowthCase
{
    public const string Id = "history_growth";

    private const string SizesSql = """
        select c.relname, pg_relation_size(c.oid), c.relkind::text
        from pg_class c
        where c.oid = 'public.peer_mentor_status_history'::regclass
           or c.oid in (select indexrelid from pg_index where indrelid = 'public.peer_mentor_status_history'::regclass)
        order by c.relkind desc, c.relname
        """;

    public static async Task<CaseResult> RunAsync(BenchContext ctx, CancellationToken ct)
    {
        var result = new CaseResult(Id, "History growth");
        await ctx.ExecAsync("vacuum (analyze) public.peer_mentor_status_history", ct);
        var rows = await ctx.ScalarAsync<long>("select count(*) from public.peer_mentor_status_history", ct);
        var total = await ctx.ScalarAsync<long>("select pg_total_relation_size('public.peer_mentor_status_history')", ct);
        long heap = 0, indexes = 0;
        await using (var command = ctx.Data.CreateCommand(SizesSql))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                var (name, bytes, kind) = (reader.GetString(0), reader.GetInt64(1), reader.GetString(2));
                if (kind == "r") heap = bytes; else indexes += bytes;
                var perRow = (double)bytes / rows;
                result.Figures.Add(new Figure(Id, kind == "r" ? "heap bytes per history row" : $"index {name}, bytes per row",
                    perRow, "B/row", null, null, null, "— (report)", null,
                    $"{bytes / 1048576.0:N0} MiB for {rows:N0} rows", [perRow], []));
            }
        }
        var all = (double)total / rows;
        result.Figures.Add(new Figure(Id, "table + indexes + TOAST, bytes per history row", all, "B/row", null, null, null, "— (report)", null,
            $"{total / 1048576.0:N0} MiB; at 1 M changes a year that is {all * 1_000_000 / 1048576.0:N0} MiB a year", [all], []));
        result.Notes.Add($"{rows:N0} rows: heap {heap / 1048576.0:N0} MiB, indexes {indexes / 1048576.0:N0} MiB " +
                         $"(the random-UUID primary key is the biggest index; the timeline index holds (uuid, timestamptz) per row).");
        result.Notes.Add(Partitioning);
        return result;
    }

    public const string Partitioning =
        "Partitioning by time (`partition by range (changed_at)`, e.g. one partition a year) would not make the timeline query " +
        "faster: it reads a mentor's newest rows through the (mentor_id, changed_at desc) index, which stays one index descent " +
        "per partition; the newest page is usually in the newest partition, but a mentor idle for a long time makes the query " +
        "visit every partition (Merge Append over one index scan per partition), so it gets slower with the partition count. What it " +
        "would change: old years could be detached and archived (or dropped under a retention rule) without a huge DELETE and " +
        "its vacuum, vacuum and index builds would work per partition (a concurrent index build on the current partition only), " +
        "and the current partition's indexes stay small enough to live in memory. The costs: the primary key must include " +
        "changed_at (`primary key (id, changed_at)`), so a unique id alone is no longer enforced across partitions; " +
        "`create index concurrently` cannot run on the partitioned parent (build it per partition, then attach); the " +
        "append-only triggers and the RLS policy must be checked on every partition; and partitions must be created ahead of " +
        "time (pg_partman or a scheduled job). At the measured size per row, 10 M rows fit in memory on this machine, so " +
        "partitioning is a retention tool here, not a speed one.";
}
