using MentorStatus.TestSupport;
using MentorStatus.Tests.Infrastructure;
using MentorStatus.Tests.Library;
using Npgsql;

namespace MentorStatus.Tests.ScaleOut;

/// <summary>
/// The repository, the certification-expiry job and the notification dispatcher through a real PgBouncer in
/// transaction mode (what Supabase's Supavisor on port 6543 does): every call works, and no session state
/// (role, claims, lock_timeout) survives on the server connections the pooler hands to the next client.
/// </summary>
public sealed class PgBouncerTests
{
    private sealed class CollectingSender : INotificationSender
    {
        public List<CoordinatorNotification> Sent { get; } = [];
        public Task SendAsync(CoordinatorNotification notification, CancellationToken ct)
        {
            lock (Sent) Sent.Add(notification);
            return Task.CompletedTask;
        }
    }

    [Fact]
    public async Task RepositoryJobAndDispatcher_WorkThroughTransactionPooling_WithoutLeakingSessionState()
    {
        Assert.True(LocalPgBouncer.FindProgram() is not null, "pgbouncer is not installed: apt-get install pgbouncer (scripts/test.sh does).");
        await using var db = await LibraryDatabase.CreateAsync("pgbouncer");
        var direct = new NpgsqlConnectionStringBuilder(db.DataSource.ConnectionString);
        var org = await db.OrganisationAsync();
        var chapter = await db.ChapterAsync(org);
        var coordinator = await db.CoordinatorAsync([chapter]);
        var mentors = new List<Guid>();
        for (var i = 0; i < 6; i++) mentors.Add(await db.MentorAsync(org, [chapter], withLogin: true, name: $"M{i}"));
        var expired = new List<Guid>();
        for (var i = 0; i < 5; i++) expired.Add(await db.MentorAsync(org, [chapter], expiresInDays: -1, name: $"E{i}"));

        // two server connections for many clients: they are shared transaction by transaction
        await using var bouncer = await LocalPgBouncer.StartAsync(
            Path.Combine(Path.GetTempPath(), $"mentorstatus-tests-pgbouncer-{Guid.NewGuid():N}"), direct.Port, TestCluster.FreePort(), (await TestCluster.GetAsync()).Password, poolSize: 2);
        await using var pooled = MentorStatusDataSource.Create(bouncer.Target(direct.Database!).ConnectionString);
        await MentorStatusDataSource.VerifyAsync(pooled);
        var repository = new MentorStatusRepository(pooled);

        // 6 mentors pause and resume themselves at once, 3 times over (more clients than server connections)
        await Task.WhenAll(mentors.Select(async m =>
        {
            var self = Caller.User(await db.UserOfMentorAsync(m));
            for (var round = 0; round < 3; round++)
            {
                await repository.ChangeStatusAsync(self, m, MentorState.Paused, ReasonCodes.SelfPause);
                await repository.ChangeStatusAsync(self, m, MentorState.Active, ReasonCodes.SelfResume);
            }
        }));
        foreach (var m in mentors)
            Assert.Equal(7, await db.CountAsync("select count(*) from public.peer_mentor_status_history where mentor_id = $1", m)); // 6 changes + initial_status
        // RLS through the pooler: the coordinator sees the chapter's timelines, a stranger sees nothing
        var timeline = await repository.GetTimelineAsync(Caller.User(coordinator), mentors[0], limit: 10);
        Assert.Equal(7, timeline.Items.Count);
        Assert.Empty((await repository.GetTimelineAsync(Caller.User(await db.UserAsync()), mentors[0])).Items);
        // the typed errors still come through
        var firstSelf = Caller.User(await db.UserOfMentorAsync(mentors[0]));
        await Assert.ThrowsAsync<IllegalStatusTransitionException>(() =>
            repository.ChangeStatusAsync(firstSelf, mentors[0], MentorState.Active, ReasonCodes.SelfResume));

        // the job, two per batch, and the dispatcher
        var run = await new CertificationExpiryJob(pooled, options: new CertificationExpiryJobOptions { BatchSize = 2 }).RunAsync();
        Assert.Equal((5, 3), (run.MentorsPaused, run.Batches));
        Assert.Equal(expired.Order(), run.PausedMentorIds.Order());
        Assert.Equal(5, (await repository.GetJobRunChangesAsync(Caller.Service, run.RunId)).Count);
        var sender = new CollectingSender();
        var dispatched = await new NotificationDispatcher(pooled, sender).DispatchAsync();
        Assert.Equal(1, dispatched.Sent);
        Assert.Equal(expired.Order(), sender.Sent.Single().MentorIds.Order());
        Assert.Equal(coordinator, sender.Sent.Single().CoordinatorUserId);

        // Every server connection the pooler holds, asked through the pooler: the login role, no claims, the
        // default lock_timeout. More probes than server connections at once, so each connection is asked.
        var probes = await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            await using var connection = await pooled.OpenConnectionAsync();
            await using var command = new NpgsqlCommand(
                "select current_user::text, coalesce(current_setting('request.jwt.claims', true), ''), current_setting('lock_timeout'), pg_backend_pid(), pg_sleep(0.05)::text",
                connection);
            await using var reader = await command.ExecuteReaderAsync();
            await reader.ReadAsync();
            return (User: reader.GetString(0), Claims: reader.GetString(1), LockTimeout: reader.GetString(2), Pid: reader.GetInt32(3));
        }));
        Assert.All(probes, p => Assert.Equal(("postgres", "", "0"), (p.User, p.Claims, p.LockTimeout)));
        Assert.True(probes.Select(p => p.Pid).Distinct().Count() <= 2, "the pooler opened more server connections than its pool size");
    }
}
