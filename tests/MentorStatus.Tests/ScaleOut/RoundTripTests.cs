using MentorStatus.TestSupport;
using MentorStatus.Tests.Infrastructure;
using MentorStatus.Tests.Library;
using Npgsql;

namespace MentorStatus.Tests.ScaleOut;

/// <summary>
/// Round trips per call, counted on the wire (Sync and Query messages through a counting proxy): a status
/// change and a timeline page are one round trip each, errors included, and a failed call leaves nothing behind.
/// </summary>
public sealed class RoundTripTests
{
    [Fact]
    public async Task StatusChangeAndReads_AreOneRoundTripEach_ErrorsStayTypedAndRollBack()
    {
        await using var db = await LibraryDatabase.CreateAsync("round_trips");
        var org = await db.OrganisationAsync();
        var chapter = await db.ChapterAsync(org);
        var coordinator = await db.CoordinatorAsync([chapter]);
        var mentor = await db.MentorAsync(org, [chapter], withLogin: true);
        var self = Caller.User(await db.UserOfMentorAsync(mentor));

        var direct = new NpgsqlConnectionStringBuilder(db.DataSource.ConnectionString);
        await using var counter = new WireRoundTripCounter(direct.Host!, direct.Port);
        // one pooled connection: a call that failed must hand it back clean to the next one
        var proxied = new NpgsqlConnectionStringBuilder(direct.ConnectionString) { Port = counter.Port, Password = (await TestCluster.GetAsync()).Password, MaxPoolSize = 1, SslMode = SslMode.Disable };
        await using var dataSource = MentorStatusDataSource.Create(proxied.ConnectionString);
        var repository = new MentorStatusRepository(dataSource);
        await MentorStatusDataSource.VerifyAsync(dataSource); // opens the connection: start-up is not counted below

        async Task<long> TripsAsync(Func<Task> call)
        {
            var before = counter.RoundTrips;
            await call();
            return counter.RoundTrips - before;
        }

        for (var i = 0; i < 3; i++) // the third time with auto-prepared statements
        {
            Assert.Equal(1, await TripsAsync(() => repository.ChangeStatusAsync(self, mentor, MentorState.Paused, ReasonCodes.SelfPause)));
            Assert.Equal(1, await TripsAsync(() => repository.ChangeStatusAsync(self, mentor, MentorState.Active, ReasonCodes.SelfResume)));
        }
        Assert.Equal(1, await TripsAsync(() => repository.GetTimelineAsync(Caller.User(coordinator), mentor, limit: 2)));
        Assert.Equal(1, await TripsAsync(() => repository.GetCurrentStatusesAsync(Caller.Service, [mentor])));

        // an illegal transition: still one round trip, still the typed error, and the transaction is gone
        var before = counter.RoundTrips;
        var error = await Assert.ThrowsAsync<IllegalStatusTransitionException>(() =>
            repository.ChangeStatusAsync(self, mentor, MentorState.Active, ReasonCodes.SelfResume));
        Assert.Equal("MS409", error.SqlState);
        Assert.Equal(1, counter.RoundTrips - before);
        Assert.Equal(7, await db.CountAsync("select count(*) from public.peer_mentor_status_history where mentor_id = $1", mentor)); // + initial_status

        // the same (only) connection again: no failed transaction, no role or claims left behind
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var probe = new NpgsqlCommand(
            "select current_user::text, coalesce(current_setting('request.jwt.claims', true), ''), current_setting('lock_timeout')", connection);
        await using var reader = await probe.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(("postgres", "", "0"), (reader.GetString(0), reader.GetString(1), reader.GetString(2)));
    }
}
