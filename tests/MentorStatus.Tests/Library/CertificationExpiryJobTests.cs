using MentorStatus.Notifications;
using MentorStatus.Tests.Infrastructure;
using Npgsql;

namespace MentorStatus.Tests.Library;

public sealed class CertificationExpiryJobTests
{
    /// <summary>
    /// Organisation North: chapter A (coordinator K1), chapter B (coordinator K2), chapter C (only a revoked
    /// coordinator K3). Organisation South: chapter D (coordinator K4), chapter E (no coordinator).
    /// Expired and active: single (A), multi (A+B), orphan (C: falls back to K1, K2), southOrphan (E: falls back to K4).
    /// Not to pause: fresh (A, expires later), alreadyPaused (A), deleted (A), noCert (A).
    /// </summary>
    private sealed record World(LibraryDatabase Db, Guid K1, Guid K2, Guid K3, Guid K4,
        Guid Single, Guid Multi, Guid Orphan, Guid SouthOrphan, Guid Fresh, Guid AlreadyPaused, Guid Deleted, Guid NoCert)
    {
        public Guid[] Expired => [Single, Multi, Orphan, SouthOrphan];

        public static async Task<World> CreateAsync(string purpose)
        {
            var db = await LibraryDatabase.CreateAsync(purpose);
            var north = await db.OrganisationAsync("North");
            var south = await db.OrganisationAsync("South");
            var a = await db.ChapterAsync(north, "A");
            var b = await db.ChapterAsync(north, "B");
            var c = await db.ChapterAsync(north, "C");
            var d = await db.ChapterAsync(south, "D");
            var e = await db.ChapterAsync(south, "E");
            var k1 = await db.CoordinatorAsync([a]);
            var k2 = await db.CoordinatorAsync([b]);
            var k3 = await db.CoordinatorAsync([c], revoked: true);
            var k4 = await db.CoordinatorAsync([d]);
            return new World(db, k1, k2, k3, k4,
                Single: await db.MentorAsync(north, [a], -1, name: "Single"),
                Multi: await db.MentorAsync(north, [a, b], -2, name: "Multi"),
                Orphan: await db.MentorAsync(north, [c], -3, name: "Orphan"),
                SouthOrphan: await db.MentorAsync(south, [e], -4, name: "SouthOrphan"),
                Fresh: await db.MentorAsync(north, [a], 30, name: "Fresh"),
                AlreadyPaused: await db.MentorAsync(north, [a], -5, status: "paused", name: "AlreadyPaused"),
                Deleted: await db.MentorAsync(north, [a], -6, deleted: true, name: "Deleted"),
                NoCert: await db.MentorAsync(north, [a], null, name: "NoCert"));
        }
    }

    private static CertificationExpiryJob Job(LibraryDatabase db, int batchSize = 500, Func<JobProgress, CancellationToken, Task>? afterBatch = null) =>
        new(db.DataSource, options: new CertificationExpiryJobOptions { BatchSize = batchSize, AfterBatch = afterBatch });

    [Fact]
    public async Task PausesExpiredMentors_NotifiesChapterCoordinators_FallsBackToOrganisation_OncePerRun()
    {
        var w = await World.CreateAsync("job_main");
        await using var _ = w.Db;
        var progress = new List<JobProgress>();
        var notificationsDuringTheRun = new List<long>();

        // batch size 1: K1's mentors are paused by three batches; the run tells K1 once, when it finishes
        // (20261127170100), so no notification exists while the run is still running
        var result = await Job(w.Db, batchSize: 1, afterBatch: async (_, _) =>
                notificationsDuringTheRun.Add(await w.Db.CountAsync("select count(*) from public.coordinator_notifications")))
            .RunAsync(progress: new SyncProgress<JobProgress>(progress.Add));
        Assert.Equal([0, 0, 0, 0], notificationsDuringTheRun);
        Assert.Equal(3, result.NotificationsWritten);

        Assert.Equal(w.Expired.Order(), result.PausedMentorIds.Order());
        Assert.Equal((4, 4, "succeeded"), (result.MentorsPaused, result.Batches, result.Outcome));
        Assert.Equal([1, 2, 3, 4], progress.Select(p => p.PausedSoFar));
        // counted before the first batch: the soft-deleted expired mentor is not eligible
        Assert.All(progress, p => Assert.Equal(4, p.EligibleAtStart));
        foreach (var m in w.Expired) Assert.Equal("paused", await w.Db.StatusAsync(m));
        foreach (var m in new[] { w.Fresh, w.Deleted, w.NoCert }) Assert.Equal("active", await w.Db.StatusAsync(m));

        var history = await new MentorStatusRepository(w.Db.DataSource).GetJobRunChangesAsync(Caller.Service, result.RunId);
        Assert.Equal(w.Expired.Order(), history.Select(h => h.MentorId).Order());
        Assert.All(history, h =>
        {
            Assert.Equal((MentorState?)MentorState.Active, h.PreviousStatus);
            Assert.Equal(MentorState.Paused, h.NewStatus);
            Assert.Null(h.ChangedBy);
            Assert.Equal(ReasonCodes.CertificationExpired, h.Reason);
        });

        var run = await w.Db.DataSource.ColumnAsync(
            "select outcome || '/' || mentors_paused || '/' || batches || '/' || (finished_at is not null) from public.status_job_runs where id = $1", result.RunId);
        Assert.Equal(["succeeded/4/4/true"], run);

        var notifications = (await new CoordinatorNotificationService(w.Db.DataSource).GetForRunAsync(result.RunId))
            .ToDictionary(n => n.CoordinatorUserId);
        Assert.Equal(new[] { w.K1, w.K2, w.K4 }.Order(), notifications.Keys.Order()); // never the revoked K3
        Assert.Equal(new[] { w.Single, w.Multi, w.Orphan }.Order(), notifications[w.K1].MentorIds);
        Assert.Equal([w.Orphan], notifications[w.K1].FallbackMentorIds);
        Assert.True(notifications[w.K1].FellBackToOrganisation);
        Assert.Equal(new[] { w.Multi, w.Orphan }.Order(), notifications[w.K2].MentorIds);
        Assert.Equal([w.SouthOrphan], notifications[w.K4].MentorIds); // the fallback stays inside the organisation
        Assert.True(notifications[w.K4].FellBackToOrganisation);
        Assert.All(notifications.Values, n => Assert.Equal(DeliveryStatus.Pending, n.Status));
    }

    [Fact]
    public async Task SingleChapterMentorWithCoordinator_DoesNotFallBack()
    {
        var w = await World.CreateAsync("job_single");
        await using var _ = w.Db;
        var recipients = await new CoordinatorNotificationService(w.Db.DataSource).ResolveAsync([w.Single]);
        var only = Assert.Single(recipients);
        Assert.Equal((w.K1, false), (only.CoordinatorUserId, only.FellBackToOrganisation));
    }

    [Fact]
    public async Task Rerun_PausesNobodyTwice_AndWritesNoNotification()
    {
        var w = await World.CreateAsync("job_rerun");
        await using var _ = w.Db;
        await Job(w.Db).RunAsync();

        var second = await Job(w.Db).RunAsync();

        Assert.Equal((0, 0), (second.MentorsPaused, second.Batches));
        Assert.Equal(0, await w.Db.CountAsync("select count(*) from public.coordinator_notifications where job_run_id = $1", second.RunId));
        Assert.Equal(4, await w.Db.CountAsync("select count(*) from public.peer_mentor_status_history where reason = 'certification_expired'"));
        Assert.Equal(0, await w.Db.CountAsync(
            "select count(*) from (select mentor_id from public.peer_mentor_status_history where reason = 'certification_expired' group by mentor_id having count(*) > 1) d"));
    }

    [Fact]
    public async Task CrashBetweenBatches_LeavesCompleteBatchesOnly_NextRunFinishes()
    {
        var w = await World.CreateAsync("job_crash");
        await using var _ = w.Db;

        var crash = Job(w.Db, batchSize: 3, afterBatch: (p, _) => p.Batch == 1 ? throw new IOException("killed") : Task.CompletedTask);
        await Assert.ThrowsAsync<IOException>(() => crash.RunAsync());

        var firstRun = await w.Db.DataSource.ScalarAsync<Guid>("select id from public.status_job_runs");
        Assert.Equal(["failed/3/1"], await w.Db.DataSource.ColumnAsync("select outcome || '/' || mentors_paused || '/' || batches from public.status_job_runs"));
        var pausedByFirst = (await w.Db.DataSource.ColumnAsync("select mentor_id from public.peer_mentor_status_history where job_run_id = $1", firstRun))
            .Select(Guid.Parse).ToHashSet();
        Assert.Equal(3, pausedByFirst.Count);
        Assert.Equal(3, await w.Db.CountAsync("select count(*) from public.peer_mentors where status = 'paused' and id = any($1)", w.Expired));
        // The outbox holds exactly the first batch's mentors: none lost, none invented.
        var notified = (await w.Db.DataSource.ColumnAsync("select distinct unnest(mentor_ids) from public.coordinator_notifications where job_run_id = $1", firstRun))
            .Select(Guid.Parse).ToHashSet();
        Assert.Subset(pausedByFirst, notified);

        var second = await Job(w.Db, batchSize: 3).RunAsync();

        Assert.Single(second.PausedMentorIds);
        Assert.DoesNotContain(second.PausedMentorIds[0], pausedByFirst);
        foreach (var m in w.Expired)
            Assert.Equal(1, await w.Db.CountAsync("select count(*) from public.peer_mentor_status_history where mentor_id = $1 and reason = 'certification_expired'", m));
    }

    [Fact]
    public async Task KilledRun_IsMarkedAbandonedByTheNextRun()
    {
        var w = await World.CreateAsync("job_abandoned");
        await using var _ = w.Db;
        var stale = await w.Db.DataSource.ScalarAsync<Guid>("""
            insert into public.status_job_runs (job_name, as_of, batch_size, started_at, heartbeat_at)
            values ('certification_expiry', now(), 10, now() - interval '3 hours', now() - interval '2 hours') returning id
            """);
        var recent = await w.Db.DataSource.ScalarAsync<Guid>(
            "insert into public.status_job_runs (job_name, as_of, batch_size) values ('certification_expiry', now(), 10) returning id");

        var result = await Job(w.Db).RunAsync();

        Assert.Equal(1, result.AbandonedRunsMarked);
        Assert.StartsWith("failed/abandoned", (await w.Db.DataSource.ColumnAsync("select outcome || '/' || error from public.status_job_runs where id = $1", stale))[0]);
        Assert.Equal(["running"], await w.Db.DataSource.ColumnAsync("select outcome from public.status_job_runs where id = $1", recent));
    }

    [Fact]
    public async Task TwoConcurrentRuns_NeverDoublePause()
    {
        var db = await LibraryDatabase.CreateAsync("job_concurrent");
        await using var _ = db;
        var org = await db.OrganisationAsync();
        var chapter = await db.ChapterAsync(org);
        await db.CoordinatorAsync([chapter]);
        await db.DataSource.ExecuteAsync("""
            with m as (
                insert into public.peer_mentors (organisation_id, display_name, certification_expires_at)
                select $1, 'm' || g, now() - make_interval(mins => g) from generate_series(1, 300) g
                returning id)
            insert into public.chapter_memberships (mentor_id, chapter_id) select id, $2 from m
            """, org, chapter);

        var runs = await Task.WhenAll(Job(db, batchSize: 7).RunAsync(), Job(db, batchSize: 11).RunAsync());

        Assert.Equal(300, runs.Sum(r => r.MentorsPaused));
        Assert.Empty(runs[0].PausedMentorIds.Intersect(runs[1].PausedMentorIds));
        Assert.Equal(300, await db.CountAsync("select count(*) from public.peer_mentors where status = 'paused'"));
        Assert.Equal(300, await db.CountAsync("select count(distinct mentor_id) from public.peer_mentor_status_history where reason = 'certification_expired'"));
        Assert.Equal(300, await db.CountAsync("select count(*) from public.peer_mentor_status_history where reason = 'certification_expired'"));
        // each run told the coordinator about exactly its own mentors
        Assert.Equal(300, await db.CountAsync("select sum(cardinality(mentor_ids)) from public.coordinator_notifications"));
    }

    [Fact]
    public async Task DryRun_ListsWhoWouldBePausedAndWhoIsTold_ChangesNothing()
    {
        var w = await World.CreateAsync("job_dry");
        await using var _ = w.Db;

        var list = await Job(w.Db).DryRunAsync();

        Assert.Equal(w.Expired.Order(), list.Select(m => m.MentorId).Order());
        var orphan = list.Single(m => m.MentorId == w.Orphan);
        Assert.True(orphan.FellBackToOrganisation);
        Assert.Equal(new[] { w.K1, w.K2 }.Order(), orphan.CoordinatorUserIds);
        // only the initial records the fixture's inserts wrote (issue 10)
        Assert.Equal(0, await w.Db.CountAsync("select count(*) from public.peer_mentor_status_history where reason <> 'initial_status'"));
        Assert.Equal(0, await w.Db.CountAsync("select count(*) from public.status_job_runs"));
    }

    [Fact]
    public async Task AsOf_ComesFromTheInjectedClock()
    {
        // a clock 2.5 days behind: of the expired mentors (1 to 4 days ago), only those expired by then are paused
        var w = await World.CreateAsync("job_asof");
        await using var _ = w.Db;
        var daysAgo = new ManualTime(DateTimeOffset.UtcNow.AddDays(-2.5));

        var result = await new CertificationExpiryJob(w.Db.DataSource, daysAgo).RunAsync();

        Assert.Equal(new[] { w.Orphan, w.SouthOrphan }.Order(), result.PausedMentorIds.Order());
        Assert.Equal(daysAgo.Now, result.AsOf);
        Assert.Equal("active", await w.Db.StatusAsync(w.Single));
        Assert.Equal("active", await w.Db.StatusAsync(w.Multi));
    }

    [Fact]
    public async Task AsOfInTheFuture_IsRefusedBeforeTheDatabase()
    {
        // a run as of the future would pause Fresh (valid for 30 more days) with a history record claiming expiry
        var w = await World.CreateAsync("job_asof_future");
        await using var _ = w.Db;

        var refused = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Job(w.Db).RunAsync(DateTimeOffset.UtcNow.AddDays(60)));
        Assert.Contains("in the future", refused.Message);
        Assert.Equal(0, await w.Db.CountAsync("select count(*) from public.status_job_runs"));
        Assert.Equal("active", await w.Db.StatusAsync(w.Fresh));

        // a clock of its own 60 days ahead (the as-of comes from it): the database refuses the run before recording it
        var ahead = await Assert.ThrowsAsync<PostgresException>(() =>
            new CertificationExpiryJob(w.Db.DataSource, new ManualTime(DateTimeOffset.UtcNow.AddDays(60))).RunAsync());
        Assert.Equal("MS400", ahead.SqlState);
        Assert.Equal(0, await w.Db.CountAsync("select count(*) from public.status_job_runs"));
        Assert.Equal(0, await w.Db.CountAsync("select count(*) from public.peer_mentor_status_history where reason = 'certification_expired'"));
        Assert.Equal("active", await w.Db.StatusAsync(w.Fresh));

        // a dry run only looks ahead: it lists Fresh and changes nothing
        Assert.Contains(w.Fresh, (await Job(w.Db).DryRunAsync(DateTimeOffset.UtcNow.AddDays(60))).Select(m => m.MentorId));
    }

    [Fact]
    public async Task PgCronProcedure_RunsTheSameBatches()
    {
        var w = await World.CreateAsync("job_pgcron");
        await using var _ = w.Db;
        await using (var call = w.Db.DataSource.CreateCommand("call mentor_status_private.run_certification_expiry_job(null, 2)"))
            await call.ExecuteNonQueryAsync();

        Assert.Equal(["succeeded/4/2"], await w.Db.DataSource.ColumnAsync("select outcome || '/' || mentors_paused || '/' || batches from public.status_job_runs"));
        Assert.Equal(4, await w.Db.CountAsync("select count(*) from public.peer_mentor_status_history where reason = 'certification_expired' and changed_by is null and job_run_id is not null"));
        Assert.Equal(3, await w.Db.CountAsync("select count(*) from public.coordinator_notifications"));
    }

    [Fact]
    public async Task ApiRoles_CannotTouchTheNewTables()
    {
        var w = await World.CreateAsync("job_privileges");
        await using var _ = w.Db;
        await Job(w.Db).RunAsync();
        foreach (var role in new[] { "anon", "authenticated" })
        foreach (var table in new[] { "status_job_runs", "coordinator_notifications" })
        {
            await using var connection = await w.Db.DataSource.OpenConnectionAsync();
            await using var tx = await connection.BeginTransactionAsync();
            await using var command = new NpgsqlCommand($"set local role {role}; select count(*) from public.{table}", connection);
            var e = await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteScalarAsync());
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, e.SqlState);
        }
        Assert.Equal(2, await w.Db.CountAsync("select count(*) from pg_class where relname in ('status_job_runs', 'coordinator_notifications') and relrowsecurity"));
    }
}

/// <summary>IProgress that reports on the calling thread (Progress&lt;T&gt; posts to the thread pool, too late for asserts).</summary>
internal sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
