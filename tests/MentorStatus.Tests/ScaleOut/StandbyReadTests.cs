using MentorStatus.TestSupport;
using MentorStatus.Tooling.Local;
using MentorStatus.Database.Migrations;
using MentorStatus.Database.Platform;
using MentorStatus.Tests.Infrastructure;
using MentorStatus.Tests.Library;
using Npgsql;
using NpgsqlTypes;

namespace MentorStatus.Tests.ScaleOut;

/// <summary>A primary of the test's own with every migration, and a real streaming standby of it (pg_basebackup -R).</summary>
public sealed class PrimaryWithStandby : IAsyncLifetime
{
    public LocalCluster Primary { get; private set; } = null!;
    public LocalCluster Standby { get; private set; } = null!;
    public const string Database = "app";

    public async Task InitializeAsync()
    {
        Primary = await OwnClusterAsync();
        await Primary.StartAsync();
        await using (var admin = Primary.Target().CreateDataSource())
            await admin.ExecuteAsync($"create database {Database}");
        await using (var app = Primary.Target(Database).CreateDataSource())
        {
            await SupabasePlatformLayer.EnsureAsync(app);
            await new MigrationRunner(app, new MigrationSource(TestDatabases.Project)).UpAsync();
        }
        Standby = await LocalStandby.CreateAsync(Primary, NewDirectory(), TestCluster.FreePort());
    }

    /// <summary>A private folder of this test's own in the run's temp folder.</summary>
    internal static string NewDirectory() => PrivateFiles.CreateUniqueFolder(Path.GetTempPath(), "mentorstatus-tests-");

    private static Task<LocalCluster> OwnClusterAsync() =>
        LocalCluster.AtAsync(NewDirectory(), new LocalClusterOptions
        {
            Port = TestCluster.FreePort(),
            Settings = new Dictionary<string, string> { ["fsync"] = "off", ["full_page_writes"] = "off" },
        });

    /// <summary>Waits until the standby has replayed everything the primary has written so far.</summary>
    public async Task CatchUpAsync(LocalCluster standby)
    {
        await using var primary = Primary.Target().CreateDataSource();
        await using var replica = standby.Target().CreateDataSource();
        var target = await primary.ScalarAsync<NpgsqlLogSequenceNumber>("select pg_current_wal_insert_lsn()");
        for (var i = 0; i < 600; i++)
        {
            if (await replica.ScalarAsync<NpgsqlLogSequenceNumber>("select pg_last_wal_replay_lsn()") >= target) return;
            await Task.Delay(50);
        }
        throw new TimeoutException("the standby did not catch up with the primary in 30 s");
    }

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (Standby is not null) await Standby.DestroyAsync();
        if (Primary is not null) await Primary.DestroyAsync();
    }
}

/// <summary>
/// Reads on a real streaming standby, writes on the primary: read-your-writes for the caller who changed a
/// status (wait for replay, else the primary), a lagging standby (replay paused) and a standby that is down.
/// </summary>
public sealed class StandbyReadTests(PrimaryWithStandby servers) : IClassFixture<PrimaryWithStandby>
{
    private sealed record World(LibraryDatabase Db, Guid Coordinator, Guid Mentor, Caller Self);

    private async Task<World> WorldAsync()
    {
        var db = LibraryDatabase.On(servers.Primary.Target(PrimaryWithStandby.Database).ConnectionString);
        var org = await db.OrganisationAsync();
        var chapter = await db.ChapterAsync(org);
        var coordinator = await db.CoordinatorAsync([chapter]);
        var mentor = await db.MentorAsync(org, [chapter], withLogin: true);
        var self = Caller.User(await db.UserOfMentorAsync(mentor));
        return new World(db, coordinator, mentor, self);
    }

    [Fact]
    public async Task ReadsGoToTheStandby_TheWriterReadsTheirWrite_EvenWhenTheStandbyLags()
    {
        var w = await WorldAsync();
        await using var _ = w.Db;
        await servers.CatchUpAsync(servers.Standby);
        await using var standbySource = MentorStatusDataSource.Create(servers.Standby.Target(PrimaryWithStandby.Database).ConnectionString);
        var replica = new ReadReplica(standbySource, new ReadReplicaOptions { ReplayWait = TimeSpan.FromMilliseconds(300) });
        var repository = new MentorStatusRepository(w.Db.DataSource, replica: replica);

        // a plain read: served by the standby (the mentor's initial_status record, written by the insert)
        Assert.Single((await repository.GetTimelineAsync(w.Self, w.Mentor)).Items);
        Assert.Equal(new ReadRoutingCounts(1, 0, 0, 0), replica.Counts);

        // the writer reads their own write: waits for the standby to replay it, then reads there
        await repository.ChangeStatusAsync(w.Self, w.Mentor, MentorState.Paused, ReasonCodes.SelfPause);
        Assert.Equal(2, (await repository.GetTimelineAsync(w.Self, w.Mentor)).Items.Count);
        Assert.Equal(new ReadRoutingCounts(2, 0, 0, 1), replica.Counts);

        // lagging standby: replay paused
        await using var standbyAdmin = servers.Standby.Target().CreateDataSource();
        await standbyAdmin.ExecuteAsync("select pg_wal_replay_pause()");
        try
        {
            await repository.ChangeStatusAsync(w.Self, w.Mentor, MentorState.Active, ReasonCodes.SelfResume);
            // the coordinator did not write: reads the standby, which does not show the resume yet
            var seenByOthers = (await repository.GetTimelineAsync(Caller.User(w.Coordinator), w.Mentor)).Items;
            Assert.Equal(2, seenByOthers.Count);
            Assert.Equal(MentorState.Paused, (await repository.GetCurrentStatusesAsync(Caller.Service, [w.Mentor]))[w.Mentor].Status);
            // the writer: waits 300 ms for the replay, then reads the primary and sees their resume
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var own = (await repository.GetTimelineAsync(w.Self, w.Mentor)).Items;
            Assert.Equal([MentorState.Active, MentorState.Paused, MentorState.Active], own.Select(h => h.NewStatus));
            Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(300), TimeSpan.FromSeconds(10));
            Assert.Equal(new ReadRoutingCounts(4, 1, 0, 2), replica.Counts);
        }
        finally
        {
            await standbyAdmin.ExecuteAsync("select pg_wal_replay_resume()");
        }

        // replay resumed: the writer's next read waits for it and is served by the standby again
        Assert.Equal(3, (await repository.GetTimelineAsync(w.Self, w.Mentor)).Items.Count);
        Assert.Equal(new ReadRoutingCounts(5, 1, 0, 3), replica.Counts);
        // job audit and current statuses on the standby too
        Assert.Equal(MentorState.Active, (await repository.GetCurrentStatusesAsync(Caller.Service, [w.Mentor]))[w.Mentor].Status);
        Assert.Equal(6, replica.Counts.OnStandby);
    }

    [Fact]
    public async Task AStandbyThatIsDown_ReadsFallBackToThePrimary()
    {
        var w = await WorldAsync();
        await using var _ = w.Db;
        // a second standby of its own, stopped during the test
        var directory = PrimaryWithStandby.NewDirectory();
        var standby = await LocalStandby.CreateAsync(servers.Primary, directory, TestCluster.FreePort());
        try
        {
            await servers.CatchUpAsync(standby);
            await using var standbySource = MentorStatusDataSource.Create(standby.Target(PrimaryWithStandby.Database).ConnectionString);
            var replica = new ReadReplica(standbySource, new ReadReplicaOptions { RetryDownAfter = TimeSpan.FromMinutes(1) });
            var repository = new MentorStatusRepository(w.Db.DataSource, replica: replica);
            await repository.ChangeStatusAsync(w.Self, w.Mentor, MentorState.Paused, ReasonCodes.SelfPause);
            Assert.Equal(2, (await repository.GetTimelineAsync(Caller.User(w.Coordinator), w.Mentor)).Items.Count);
            Assert.Equal(1, replica.Counts.OnStandby);

            await standby.StopAsync();
            // the writer's read (pending replay) and another caller's read: both from the primary, both complete
            await repository.ChangeStatusAsync(w.Self, w.Mentor, MentorState.Active, ReasonCodes.SelfResume);
            Assert.Equal(3, (await repository.GetTimelineAsync(w.Self, w.Mentor)).Items.Count);
            Assert.Equal(3, (await repository.GetTimelineAsync(Caller.User(w.Coordinator), w.Mentor)).Items.Count);
            Assert.Equal(MentorState.Active, (await repository.GetCurrentStatusesAsync(Caller.Service, [w.Mentor]))[w.Mentor].Status);
            var counts = replica.Counts;
            Assert.Equal(1, counts.OnStandby);
            Assert.Equal(3, counts.OnPrimaryStandbyDown); // the first read finds it down, the next two skip it
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await standby.DestroyAsync();
        }
    }
}
