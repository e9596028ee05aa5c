using MentorStatus.Tests.Infrastructure;
using MentorStatus.Tests.Library;
using Npgsql;
using Xunit.Abstractions;

namespace MentorStatus.Tests.Reliability;

/// <summary>
/// The server restarted (pg_ctl stop -m fast, then start) between two calls of the repository, so that the pooled
/// connection the next call gets is dead: an idempotent read is read again on a fresh connection and succeeds; a
/// status change is not retried (its commit may have reached the server) and says so, writing at most one row.
/// Runs on a cluster of its own, never the shared test cluster.
/// </summary>
[Trait("Category", "Reliability")]
public sealed class LostConnectionTests(ITestOutputHelper output) : IAsyncLifetime
{
    private OwnCluster _own = null!;

    public async Task InitializeAsync() => _own = await OwnCluster.StartAsync("lost", output);

    public async Task DisposeAsync() => await _own.DisposeAsync();

    [Fact]
    public async Task ReadsAcrossARestartAreReadAgain_AStatusChangeAcrossOneFailsClearly_AndWritesAtMostOneRow()
    {
        var target = await _own.MigratedDatabaseAsync();
        await using var db = LibraryDatabase.On(target.ConnectionString);
        var org = await db.OrganisationAsync();
        var chapter = await db.ChapterAsync(org);
        var mentor = await db.MentorAsync(org, [chapter], expiresInDays: -1); // expired: the system path pauses it below

        await using var data = MentorStatusDataSource.Create(target.ConnectionString);
        var repository = new MentorStatusRepository(data);

        // several idle pooled connections, all killed by the restart
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => repository.GetTimelineAsync(Caller.Service, mentor)));
        await _own.RestartAsync("with 4 idle pooled connections");
        var page = await repository.GetTimelineAsync(Caller.Service, mentor);
        Assert.Equal(ReasonCodes.InitialStatus, Assert.Single(page.Items).Reason);

        await _own.RestartAsync("before reading current statuses");
        var statuses = await repository.GetCurrentStatusesAsync(Caller.Service, [mentor]);
        Assert.Equal(MentorState.Active, statuses[mentor].Status);

        // the status change: the pooled connection it gets is dead
        const string history = "select count(*) from public.peer_mentor_status_history where mentor_id = $1";
        db.DataSource.Clear(); // the test's own connections died too; the repository's pool is left as the restart made it
        var before = await db.CountAsync(history, mentor);
        await repository.GetTimelineAsync(Caller.Service, mentor); // one idle pooled connection again
        await _own.RestartAsync("before a status change");
        var error = await Assert.ThrowsAsync<StatusChangeOutcomeUnknownException>(() =>
            repository.ChangeStatusAsync(Caller.Service, mentor, MentorState.Paused, ReasonCodes.CertificationExpired));
        output.WriteLine(error.Message);
        db.DataSource.Clear();
        Assert.Contains("connection to the database was lost", error.Message);
        Assert.Contains("may or may not have been committed", error.Message);
        Assert.IsAssignableFrom<NpgsqlException>(error.InnerException);
        Assert.InRange(await db.CountAsync(history, mentor) - before, 0, 1);

        // and the library works on afterwards: the change, made again, is made once
        var change = await repository.ChangeStatusAsync(Caller.Service, mentor, MentorState.Paused, ReasonCodes.CertificationExpired);
        Assert.Equal(MentorState.Paused, change.NewStatus);
        Assert.Equal(before + 1, await db.CountAsync(history, mentor));
    }
}
