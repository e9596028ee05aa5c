using MentorStatus.Tests.Infrastructure;
using Runner = MentorStatus.Tests.Library.ExpiryJobKeysetTests.Runner;

namespace MentorStatus.Tests.Library;

/// <summary>
/// The expiry job's history rows get time-ordered ids (20261127170000): UUID version 7 whose first 48 bits are
/// the change's Unix millisecond. Every other writer keeps the column default (random, version 4): the seed's
/// column definition is unchanged.
/// </summary>
public sealed class ExpiryHistoryIdTests
{
    // version nibble, variant bits (RFC 9562: 10xx), the millisecond in the first 48 bits, and changed_at's
    private const string IdPartsSql = """
        select substr(h.id::text, 15, 1) || ' ' || substr(h.id::text, 20, 1) || ' '
               || ('x' || replace(substr(h.id::text, 1, 13), '-', ''))::bit(48)::bigint || ' '
               || floor(extract(epoch from h.changed_at) * 1000)::bigint
        from public.peer_mentor_status_history h
        where h.reason = $1
        order by h.id
        """;

    private static readonly string[] RfcVariants = ["8", "9", "a", "b"];

    [Theory]
    [InlineData(Runner.DotNetJob)]
    [InlineData(Runner.PgCronProcedure)]
    public async Task EveryHistoryRowOfARun_HasAVersion7Id_ThatStartsWithItsChangedAtMillisecond(Runner runner)
    {
        var w = await ExpiredMentors.CreateAsync($"expiry_history_ids_{runner}", count: 7);
        await using var _ = w.Db;

        await ExpiryJobKeysetTests.RunAsync(w.Db, runner, batchSize: 3);

        var rows = await w.Db.DataSource.ColumnAsync(IdPartsSql, "certification_expired");
        Assert.Equal(7, rows.Count);
        var previousMillisecond = long.MinValue;
        foreach (var parts in rows.Select(r => r.Split(' ')))
        {
            Assert.Equal("7", parts[0]);
            Assert.Contains(parts[1], RfcVariants);
            Assert.Equal(parts[3], parts[2]); // the id's time is the change's
            // ordered by id is ordered by the change's millisecond: the index inserts go to its right-hand end
            var millisecond = long.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(millisecond >= previousMillisecond, $"ids out of time order: {string.Join(", ", rows)}");
            previousMillisecond = millisecond;
        }
        Assert.Equal(7, await w.Db.CountAsync(
            "select count(distinct id) from public.peer_mentor_status_history where reason = 'certification_expired'"));
    }

    [Fact]
    public async Task EveryOtherWriter_KeepsTheColumnDefault_ARandomVersion4Id()
    {
        var w = await ExpiredMentors.CreateAsync("expiry_history_ids_other_writers", count: 2);
        await using var _ = w.Db;
        await ExpiryJobKeysetTests.RunAsync(w.Db, Runner.DotNetJob, batchSize: 10);

        Assert.Equal("gen_random_uuid()", await w.Db.DataSource.ScalarAsync<string>(
            "select column_default from information_schema.columns " +
            "where table_schema = 'public' and table_name = 'peer_mentor_status_history' and column_name = 'id'"));
        // the mentors' first records (written by the insert trigger) and the job's, side by side
        var initial = await w.Db.DataSource.ColumnAsync(IdPartsSql, "initial_status");
        Assert.Equal(2, initial.Count);
        Assert.All(initial, r => Assert.Equal("4", r.Split(' ')[0]));
        var paused = await w.Db.DataSource.ColumnAsync(IdPartsSql, "certification_expired");
        Assert.Equal(2, paused.Count);
        Assert.All(paused, r => Assert.Equal("7", r.Split(' ')[0]));
    }
}
