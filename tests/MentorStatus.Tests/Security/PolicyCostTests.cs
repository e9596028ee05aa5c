using MentorStatus.Tests.Infrastructure;
using Npgsql;

namespace MentorStatus.Tests.Security;

/// <summary>
/// Issue 10 part 5 / issue 13 item 1: rows the history scan reads under row-level security stay
/// proportional to what the caller may see, not to the table. 200 k history rows over 2 000 mentors in
/// 200 chapters, ANALYZEd; EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) of <c>order by changed_at desc limit 10</c>
/// as a stranger (sees nothing), a mentor (their own 100 rows) and a coordinator of 20 chapters (200 mentors,
/// 20 000 rows). Counts only, never time. On main the policy's <c>in (select …)</c> became a per-row SubPlan
/// filter over a scan of the whole table: the stranger read 200 000 rows.
/// </summary>
public sealed class PolicyCostTests
{
    private const int HistoryRows = 200_000;
    private static readonly Guid Stranger = Guid.Parse("00000000-0000-4000-b003-000000000002");
    private static readonly Guid Coordinator = Guid.Parse("00000000-0000-4000-b003-000000000001");
    private static readonly Guid MentorUser = Guid.Parse("00000000-0000-4000-b003-000000000003");

    private static readonly Lazy<Task<MentorStatus.Database.DatabaseTarget>> Database = new(LoadAsync);

    private static async Task<MentorStatus.Database.DatabaseTarget> LoadAsync()
    {
        var target = await TestDatabases.MigratedAsync("policycost");
        // The load takes seconds on a quiet machine; allow for a busy shared one.
        await using var dataSource = NpgsqlDataSource.Create(
            new NpgsqlConnectionStringBuilder(target.ConnectionString) { CommandTimeout = 600 }.ConnectionString);
        await dataSource.ExecuteAsync($"""
            insert into public.organisations (id, name) values ('00000000-0000-4000-b001-000000000001', 'Load');
            insert into public.chapters (id, organisation_id, name)
            select ('00000000-0000-4000-b002-' || lpad(g::text, 12, '0'))::uuid, '00000000-0000-4000-b001-000000000001', 'c' || g
            from generate_series(1, 200) g;
            insert into auth.users (id) values ('{Coordinator}'), ('{Stranger}'), ('{MentorUser}');
            insert into public.peer_mentors (id, user_id, organisation_id, display_name)
            select ('00000000-0000-4000-b004-' || lpad(g::text, 12, '0'))::uuid,
                   case when g = 1 then '{MentorUser}'::uuid end,
                   '00000000-0000-4000-b001-000000000001', 'm' || g
            from generate_series(1, 2000) g;
            insert into public.chapter_memberships (mentor_id, chapter_id)
            select ('00000000-0000-4000-b004-' || lpad(g::text, 12, '0'))::uuid,
                   ('00000000-0000-4000-b002-' || lpad((1 + g % 200)::text, 12, '0'))::uuid
            from generate_series(1, 2000) g;
            insert into public.coordinator_assignments (user_id, chapter_id)
            select '{Coordinator}', ('00000000-0000-4000-b002-' || lpad(g::text, 12, '0'))::uuid from generate_series(1, 20) g;
            insert into public.peer_mentor_status_history (mentor_id, previous_status, new_status, reason, changed_at)
            select ('00000000-0000-4000-b004-' || lpad((1 + g % 2000)::text, 12, '0'))::uuid, 'active', 'paused',
                   'certification_expired', now() - g * interval '1 minute'
            from generate_series(1, {HistoryRows}) g;
            analyze;
            """);
        return target;
    }

    /// <summary>Rows the scans of <paramref name="table"/> produced plus rows they read and threw away, and the buffers of the whole plan.</summary>
    private sealed record Cost(long RowsRead, long Buffers, bool SeqScan, string Plan);

    private static async Task<(Cost Cost, long Returned, long Visible)> MeasureAsync(Guid user, string sql, string table)
    {
        await using var dataSource = (await Database.Value).CreateDataSource();
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var tx = await connection.BeginTransactionAsync();
        await connection.ActAsAsync(Actor.User("load", user));
        var visible = await connection.ValueAsync<long>($"select count(*) from {table}");
        var returned = (long)(await connection.RowsAsync(sql)).Count; // also warms the helpers' cached plans
        var explained = await ExplainedPlan.RunAsync(connection, sql);
        long rows = 0;
        var seq = false;
        foreach (var node in explained.Nodes)
        {
            if (!node.TryGetProperty("Relation Name", out var relation) || !table.EndsWith("." + relation.GetString(), StringComparison.Ordinal)) continue;
            var loops = node.GetProperty("Actual Loops").GetInt64();
            rows += node.GetProperty("Actual Rows").GetInt64() * loops;
            foreach (var removed in new[] { "Rows Removed by Filter", "Rows Removed by Index Recheck" })
                if (node.TryGetProperty(removed, out var r)) rows += r.GetInt64();
            seq |= node.GetProperty("Node Type").GetString() == "Seq Scan";
        }
        return (new Cost(rows, explained.Buffers, seq, explained.Json), returned, visible);
    }

    private const string Newest10 = "select * from public.peer_mentor_status_history order by changed_at desc limit 10";

    [Fact]
    public async Task AStrangerReadsNoHistoryRow()
    {
        var (cost, returned, visible) = await MeasureAsync(Stranger, Newest10, "public.peer_mentor_status_history");
        Assert.Equal(0, visible);
        Assert.Equal(0, returned);
        Assert.True(cost.RowsRead == 0 && !cost.SeqScan, $"a stranger's scan read {cost.RowsRead} rows of {HistoryRows}:\n{cost.Plan}");
        Assert.True(cost.Buffers < 50, $"a stranger's query touched {cost.Buffers} buffers:\n{cost.Plan}");
    }

    [Fact]
    public async Task AMentorReadsOnlyTheirOwnHistory()
    {
        var (cost, returned, visible) = await MeasureAsync(MentorUser, Newest10, "public.peer_mentor_status_history");
        Assert.Equal(HistoryRows / 2000 + 1, visible); // + the initial_status record the insert of the mentor wrote
        Assert.Equal(10, returned);
        Assert.True(cost.RowsRead <= visible && !cost.SeqScan, $"the mentor's scan read {cost.RowsRead} rows, may see {visible}:\n{cost.Plan}");
    }

    [Fact]
    public async Task ACoordinatorOfManyChaptersReadsOnlyTheirChaptersHistory()
    {
        var (cost, returned, visible) = await MeasureAsync(Coordinator, Newest10, "public.peer_mentor_status_history");
        Assert.Equal(HistoryRows / 10 + 200, visible); // 20 of 200 chapters: 200 mentors, each + its initial_status record
        Assert.Equal(10, returned);
        Assert.True(cost.RowsRead <= visible && !cost.SeqScan, $"the coordinator's scan read {cost.RowsRead} rows, may see {visible}:\n{cost.Plan}");
    }

    [Theory]
    [InlineData("public.peer_mentors")]
    [InlineData("public.chapter_memberships")]
    public async Task AStrangerReadsNoMentorOrMembershipRow(string table)
    {
        var (cost, _, visible) = await MeasureAsync(Stranger, $"select * from {table}", table);
        Assert.Equal(0, visible);
        Assert.True(cost.RowsRead == 0 && !cost.SeqScan, $"a stranger's scan of {table} read {cost.RowsRead} rows:\n{cost.Plan}");
    }
}
