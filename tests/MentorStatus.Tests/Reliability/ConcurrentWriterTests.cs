using System.Collections.Concurrent;
using System.Diagnostics;
using MentorStatus.Tests.Infrastructure;
using Npgsql;
using Xunit.Abstractions;

namespace MentorStatus.Tests.Reliability;

/// <summary>
/// 16 connections changing the status of a few mentors at once through public.change_mentor_status, mixing the
/// mentors themselves and their coordinators. Every successful call is in the history exactly once, each
/// mentor's chain is unbroken (no lost update), and the only refusal a racing caller sees is MS409 (the
/// status it read had already changed), never a serialization failure or deadlock.
/// </summary>
[Trait("Category", "Reliability")]
public sealed class ConcurrentWriterTests(ITestOutputHelper output)
{
    public const int Clients = 16;

    /// <summary>Changes per client: CI-sized by default; MENTORSTATUS_RELIABILITY_CHANGES=1000 for the issue's full size.</summary>
    public static int ChangesPerClient =>
        int.TryParse(Environment.GetEnvironmentVariable("MENTORSTATUS_RELIABILITY_CHANGES"), out var n) && n > 0 ? n : 100;

    private sealed record Actor(string UserId, string MentorId, bool IsSelf);

    // Alva: herself and Nora; Bo: himself, Nora and Rami (two chapters); Eli: himself and Sara.
    private static readonly Actor[] Actors =
    [
        new(Faults.AlvaUser, Faults.Alva, true), new(Faults.Nora, Faults.Alva, false),
        new(Faults.BoUser, Faults.Bo, true), new(Faults.Nora, Faults.Bo, false), new(Faults.Rami, Faults.Bo, false),
        new(Faults.EliUser, Faults.Eli, true), new(Faults.Sara, Faults.Eli, false),
    ];

    [Fact]
    public async Task SixteenClientsKeepEveryMentorsHistoryChainConsistent()
    {
        var target = await TestDatabases.SeededAsync("rel_concurrent_sql");
        await using var data = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(target.ConnectionString) { MaxPoolSize = Clients + 4 }.ConnectionString);
        await LiftSelfChangeLimitAsync(data);
        var before = await data.ScalarAsync<long>("select count(*) from public.peer_mentor_status_history");

        var succeeded = new ConcurrentBag<(string Mentor, Guid HistoryId)>();
        var refusals = new ConcurrentDictionary<string, int>();
        var unexpected = new ConcurrentBag<string>();
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Clients).Select(client => Task.Run(async () =>
        {
            var random = new Random(client);
            await using var connection = await data.OpenConnectionAsync();
            for (var i = 0; i < ChangesPerClient; i++)
            {
                var actor = Actors[random.Next(Actors.Length)];
                try
                {
                    var id = await ChangeOnceAsync(connection, actor);
                    succeeded.Add((actor.MentorId, id));
                }
                // MS409: the status changed under the caller; MS412: a coordinator paused the mentor meanwhile, so the
                // mentor may not resume (issue 10). Both are real refusals of a race, not errors.
                catch (PostgresException e) when (e.SqlState is "MS409" or "MS412")
                {
                    refusals.AddOrUpdate(e.SqlState, 1, (_, n) => n + 1);
                }
                catch (Exception e)
                {
                    unexpected.Add($"{(e as PostgresException)?.SqlState} {e.Message}");
                }
            }
        })));
        clock.Stop();

        var attempts = Clients * ChangesPerClient;
        output.WriteLine($"{attempts} attempts by {Clients} clients on 3 mentors in {clock.Elapsed.TotalSeconds:0.0}s: " +
                         $"{succeeded.Count} changes, {refusals.GetValueOrDefault("MS409")} MS409 (status changed under the caller), " +
                         $"{refusals.GetValueOrDefault("MS412")} MS412 (a coordinator's pause the mentor may not end), {unexpected.Count} unexpected");
        Assert.True(unexpected.IsEmpty, string.Join("\n", unexpected.Take(10)));
        Assert.Equal(attempts, succeeded.Count + refusals.Values.Sum());
        Assert.True(succeeded.Count > attempts / 4, "too few changes went through to prove anything");

        // Every success is one history row, and nothing else was written.
        Assert.Equal(before + succeeded.Count, await data.ScalarAsync<long>("select count(*) from public.peer_mentor_status_history"));
        var ids = await data.ColumnAsync("select id::text from public.peer_mentor_status_history where reason <> 'initial_status' and changed_at > now() - interval '1 hour'");
        Assert.Equal(succeeded.Select(s => s.HistoryId.ToString()).Order(), ids.Order());
        foreach (var mentor in new[] { Faults.Alva, Faults.Bo, Faults.Eli })
        {
            var rows = await data.ScalarAsync<long>("select count(*) - 1 from public.peer_mentor_status_history where mentor_id = $1", Guid.Parse(mentor));
            Assert.Equal(succeeded.Count(s => s.Mentor == mentor), rows);
        }
        await Faults.AssertHistoryChainsConsistentAsync(data);
        // Mixed actors really happened.
        Assert.True(await data.ScalarAsync<long>("select count(distinct reason) from public.peer_mentor_status_history where changed_at > now() - interval '1 hour'") >= 4);
    }

    /// <summary>
    /// The same load through the library (MentorStatusRepository as each user). Under READ COMMITTED the function's
    /// row lock serialises; with the database defaulting to SERIALIZABLE the racing calls raise 40001, which the
    /// library must retry: only IllegalStatusTransitionException (MS409, a real refusal) may reach the caller.
    /// </summary>
    [Theory]
    [InlineData("read committed", 100)]
    [InlineData("serializable", 25)]
    public async Task SixteenLibraryClientsNeverSeeASerializationFailureOrDeadlock(string isolation, int changesPerClient)
    {
        var target = await TestDatabases.SeededAsync("rel_concurrent_lib_" + isolation.Replace(' ', '_'));
        await using (var admin = target.CreateDataSource())
        {
            await admin.ExecuteAsync($"alter database \"{target.Database}\" set default_transaction_isolation = '{isolation}'");
        }
        await using var data = MentorStatusDataSource.Create(target.ConnectionString);
        await LiftSelfChangeLimitAsync(data);
        var repository = new MentorStatusRepository(data, new RetryOptions { MaxAttempts = 50, BaseDelay = TimeSpan.FromMilliseconds(5) });
        var before = await data.ScalarAsync<long>("select count(*) from public.peer_mentor_status_history");

        var succeeded = 0;
        var refused = 0;
        var unexpected = new ConcurrentBag<string>();
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Clients).Select(client => Task.Run(async () =>
        {
            var random = new Random(100 + client);
            for (var i = 0; i < changesPerClient; i++)
            {
                var actor = Actors[random.Next(Actors.Length)];
                var caller = Caller.User(Guid.Parse(actor.UserId));
                var mentor = Guid.Parse(actor.MentorId);
                try
                {
                    var current = (await repository.GetCurrentStatusesAsync(caller, [mentor]))[mentor].Status;
                    var (next, reason) = (current, actor.IsSelf) switch
                    {
                        (MentorState.Active, true) => (MentorState.Paused, ReasonCodes.SelfPause),
                        (MentorState.Paused, true) => (MentorState.Active, ReasonCodes.SelfResume),
                        (MentorState.Active, false) => (MentorState.Paused, ReasonCodes.CoordinatorManualPause),
                        _ => (MentorState.Active, ReasonCodes.CoordinatorResume),
                    };
                    await repository.ChangeStatusAsync(caller, mentor, next, reason);
                    Interlocked.Increment(ref succeeded);
                }
                catch (Exception e) when (e is IllegalStatusTransitionException or StatusRuleViolationException)
                {
                    // MS409, or MS412: a coordinator paused the mentor, who may not resume themself (issue 10)
                    Interlocked.Increment(ref refused);
                }
                catch (Exception e)
                {
                    unexpected.Add($"{e.GetType().Name}: {e.Message}");
                }
            }
        })));
        clock.Stop();
        output.WriteLine($"library, {isolation}: {Clients * changesPerClient} attempts in {clock.Elapsed.TotalSeconds:0.0}s: {succeeded} changes, " +
                         $"{refused} MS409 refusals, {unexpected.Count} errors reaching the caller");
        Assert.True(unexpected.IsEmpty, string.Join("\n", unexpected.Take(10)));
        Assert.Equal(Clients * changesPerClient, succeeded + refused);
        Assert.True(succeeded > 0);
        Assert.Equal(before + succeeded, await data.ScalarAsync<long>("select count(*) from public.peer_mentor_status_history"));
        await Faults.AssertHistoryChainsConsistentAsync(data);
    }

    /// <summary>
    /// The load makes hundreds of changes per mentor: lift the self-change rate limit of issue 10 (10 a day) and the coordinators' limit (100 an hour), tested in 042 and 071;
    /// here the point is concurrency.
    /// </summary>
    private static Task LiftSelfChangeLimitAsync(NpgsqlDataSource data) =>
        data.ExecuteAsync("update public.mentor_status_settings set self_change_limit = 1000000, coordinator_change_limit = 1000000, updated_at = now()");

    /// <summary>Reads the mentor's status as the actor and asks for the opposite, in one transaction.</summary>
    private static async Task<Guid> ChangeOnceAsync(NpgsqlConnection connection, Actor actor)
    {
        await using var transaction = await Faults.BeginAsUserAsync(connection, actor.UserId);
        string status;
        await using (var read = new NpgsqlCommand("select status::text from public.peer_mentors where id = $1::uuid", connection, transaction))
        {
            read.Parameters.Add(new NpgsqlParameter { Value = actor.MentorId });
            status = (string)(await read.ExecuteScalarAsync())!;
        }
        var (next, reason) = (status, actor.IsSelf) switch
        {
            ("active", true) => ("paused", "self_pause"),
            ("paused", true) => ("active", "self_resume"),
            ("active", false) => ("paused", "coordinator_manual_pause"),
            ("paused", false) => ("active", "coordinator_resume"),
            _ => throw new InvalidOperationException($"mentor {actor.MentorId} is {status}"),
        };
        await using var change = Faults.ChangeStatusCommand(connection, actor.MentorId, next, reason);
        change.Transaction = transaction;
        var id = (Guid)(await change.ExecuteScalarAsync())!;
        await transaction.CommitAsync();
        return id;
    }
}
