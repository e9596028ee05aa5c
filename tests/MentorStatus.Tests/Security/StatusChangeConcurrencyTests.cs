using System.Collections.Concurrent;
using System.Diagnostics;
using MentorStatus.Tests.Infrastructure;
using Npgsql;
using Xunit.Abstractions;

namespace MentorStatus.Tests.Security;

/// <summary>
/// Many simultaneous status changes of the same few mentors, each through change_mentor_status as the
/// proper user (the mentor with self codes, a coordinator with coordinator codes): the history chain
/// stays consistent and no update is lost.
/// </summary>
public sealed class StatusChangeConcurrencyTests(ITestOutputHelper output)
{
    private const int Workers = 12;
    private const int CallsPerWorker = 120;

    // Mentor → who may change them (seed.sql). Bo has two coordinators (Northgate and Riverside).
    private static readonly (Guid Mentor, Actor[] Actors)[] Targets =
    [
        (Seed.Mentors.Alva, [Seed.Actors["alva"], Seed.Actors["nora"]]),
        (Seed.Mentors.Bo, [Seed.Actors["bo"], Seed.Actors["nora"], Seed.Actors["rami"]]),
        (Seed.Mentors.Eli, [Actor.User("eli", Seed.Users.Eli), Seed.Actors["sara"]]),
    ];

    private sealed record Success(Guid Mentor, Guid? ChangedBy, string Reason, Guid HistoryId);

    [Fact]
    public async Task ConcurrentChangesKeepAConsistentChainAndLoseNothing()
    {
        var target = await TestDatabases.SeededAsync("concurrency");
        var builder = new NpgsqlDataSourceBuilder(target.ConnectionString);
        builder.ConnectionStringBuilder.MaxPoolSize = Workers + 2;
        await using var dataSource = builder.Build();
        // Hundreds of changes per mentor: lift the self-change and coordinator rate limits (tested on their own in 042 and 071).
        await dataSource.ExecuteAsync("update public.mentor_status_settings set self_change_limit = 1000000, coordinator_change_limit = 1000000, updated_at = now()");

        var historyBefore = await dataSource.ScalarAsync<long>("select count(*) from public.peer_mentor_status_history");
        var successes = new ConcurrentBag<Success>();
        var failures = new ConcurrentBag<string>();
        var clock = Stopwatch.StartNew();

        await Task.WhenAll(Enumerable.Range(0, Workers).Select(worker => Task.Run(async () =>
        {
            var random = new Random(1000 + worker);
            for (var i = 0; i < CallsPerWorker; i++)
            {
                var (mentor, actors) = Targets[random.Next(Targets.Length)];
                var actor = actors[random.Next(actors.Length)];
                var isSelf = actor.UserId == UserOf(mentor);
                var pause = random.Next(2) == 0;
                var reason = (isSelf, pause) switch
                {
                    (true, true) => "self_pause",
                    (true, false) => "self_resume",
                    (false, true) => "coordinator_manual_pause",
                    (false, false) => "coordinator_resume",
                };
                var to = pause ? "paused" : "active";
                try
                {
                    await using var connection = await dataSource.OpenConnectionAsync();
                    await using var tx = await connection.BeginTransactionAsync();
                    await connection.ActAsAsync(actor);
                    var row = (await connection.RowsAsync(
                        "select id, changed_by from public.change_mentor_status($1, $2::public.mentor_status, $3)", mentor, to, reason)).Single();
                    await tx.CommitAsync();
                    successes.Add(new Success(mentor, (Guid?)row["changed_by"], reason, (Guid)row["id"]!));
                }
                catch (PostgresException e)
                {
                    // The acceptable refusals: the mentor already has the status asked for at that moment (MS409), or
                    // the mentor tries to resume out of a coordinator's pause (MS412, issue 10).
                    var expected = pause ? "does not allow paused -> paused" : "does not allow active -> active";
                    if (e.SqlState == "MS409" && e.MessageText.Contains(expected))
                        failures.Add("MS409");
                    else if (e.SqlState == "MS412" && reason == "self_resume" && e.MessageText.Contains("paused by coordinator_manual_pause"))
                        failures.Add("MS412");
                    else
                        failures.Add($"{actor} {reason} on {Seed.Mentors.NameOf(mentor)}: {e.SqlState} {e.MessageText}");
                }
            }
        })));
        clock.Stop();
        output.WriteLine($"{Workers} connections x {CallsPerWorker} calls in {clock.Elapsed.TotalSeconds:F1} s: " +
                         $"{successes.Count} changes, {failures.Count(f => f == "MS409")} MS409, {failures.Count(f => f == "MS412")} MS412, " +
                         $"{failures.Count(f => f is not ("MS409" or "MS412"))} other");

        var unexpected = failures.Where(f => f is not ("MS409" or "MS412")).ToList();
        Assert.True(unexpected.Count == 0, $"{unexpected.Count} unexpected failure(s):\n" + string.Join("\n", unexpected.Take(20)));
        Assert.Equal(Workers * CallsPerWorker, successes.Count + failures.Count);
        Assert.True(successes.Count > Workers * CallsPerWorker / 4, $"only {successes.Count} changes succeeded: the run proves little");
        Assert.Contains("MS409", failures); // the races did happen

        // No lost update: one history row per successful call, exactly those rows.
        var historyAfter = await dataSource.ScalarAsync<long>("select count(*) from public.peer_mentor_status_history");
        Assert.Equal(historyBefore + successes.Count, historyAfter);

        await using var connection = await dataSource.OpenConnectionAsync();
        foreach (var (mentor, _) in Targets)
        {
            var name = Seed.Mentors.NameOf(mentor);
            var chain = await connection.RowsAsync("""
                select id, previous_status::text as previous_status, new_status::text as new_status, changed_at, changed_by, reason
                from public.peer_mentor_status_history
                where mentor_id = $1
                order by changed_at, id
                """, mentor);
            var mine = successes.Where(s => s.Mentor == mentor).ToList();
            Assert.Equal(mine.Select(s => s.HistoryId).Order(), chain.Skip(1).Select(r => (Guid)r["id"]!).Order()); // seed: one initial row
            Assert.Null(chain[0]["previous_status"]);

            for (var i = 1; i < chain.Count; i++)
            {
                Assert.True(Equals(chain[i]["previous_status"], chain[i - 1]["new_status"]),
                    $"{name}: record {i} ({chain[i]["reason"]}) has previous_status {chain[i]["previous_status"]}, the record before it has new_status {chain[i - 1]["new_status"]}");
                Assert.True((DateTime)chain[i]["changed_at"]! > (DateTime)chain[i - 1]["changed_at"]!,
                    $"{name}: records {i - 1} and {i} have the same changed_at: the chain order is ambiguous");
            }

            // Who made each change, per reason: the table agrees with the callers' own count.
            var stored = chain.Skip(1).GroupBy(r => ((Guid?)r["changed_by"], (string)r["reason"]!)).ToDictionary(g => g.Key, g => g.Count());
            var counted = mine.GroupBy(s => (s.ChangedBy, s.Reason)).ToDictionary(g => g.Key, g => g.Count());
            Assert.Equal(counted.OrderBy(p => p.Key.ToString()), stored.OrderBy(p => p.Key.ToString()));

            var current = (await connection.RowsAsync("select status::text as status, status_changed_at from public.peer_mentors where id = $1", mentor)).Single();
            Assert.Equal(chain[^1]["new_status"], current["status"]);
            if (chain.Count > 1) Assert.Equal(chain[^1]["changed_at"], current["status_changed_at"]);
        }

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"the concurrent run took {clock.Elapsed}");
    }

    private static Guid? UserOf(Guid mentor) =>
        mentor == Seed.Mentors.Alva ? Seed.Users.Alva : mentor == Seed.Mentors.Bo ? Seed.Users.Bo : mentor == Seed.Mentors.Eli ? Seed.Users.Eli : null;
}
