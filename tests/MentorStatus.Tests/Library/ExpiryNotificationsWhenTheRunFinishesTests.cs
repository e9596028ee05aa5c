using MentorStatus.Tests.Infrastructure;
using Npgsql;
using Runner = MentorStatus.Tests.Library.ExpiryJobKeysetTests.Runner;

namespace MentorStatus.Tests.Library;

/// <summary>
/// The expiry job's coordinator notifications are written when a run leaves 'running' (20261127170100: a trigger
/// on status_job_runs), from the run's history rows, whichever path ends the run: the job's own finish, the next
/// run marking it abandoned, an operator's UPDATE. The batches write none.
/// </summary>
public sealed class ExpiryNotificationsWhenTheRunFinishesTests
{
    private static async Task<Guid> StaleRunningRunAsync(LibraryDatabase db) => await db.DataSource.ScalarAsync<Guid>(
        "insert into public.status_job_runs (job_name, as_of, batch_size, started_at, heartbeat_at) " +
        "values ('certification_expiry', now(), 2, now() - interval '3 hours', now() - interval '2 hours') returning id");

    private static async Task<int> OneBatchAsync(LibraryDatabase db, Guid run, int batchSize) => await db.DataSource.ScalarAsync<int>(
        "select mentors_paused from mentor_status_private.pause_expired_certifications($1, now(), $2, null, null)", run, batchSize);

    private static async Task<List<string>> NotifiedAsync(LibraryDatabase db, Guid run) =>
        await db.DataSource.ColumnAsync(
            "select coordinator_user_id || ':' || array_to_string(mentor_ids, ',') from public.coordinator_notifications where job_run_id = $1", run);

    private static async Task<string[]> PausedByAsync(LibraryDatabase db, Guid run) =>
        [.. await db.DataSource.ColumnAsync(
            "select mentor_id from public.peer_mentor_status_history where job_run_id = $1 order by mentor_id", run)];

    [Theory]
    [InlineData(Runner.DotNetJob)]
    [InlineData(Runner.PgCronProcedure)]
    public async Task KilledRun_IsToldWhenTheNextRunMarksItAbandoned_EachMentorInOneNotification(Runner runner)
    {
        var w = await ExpiredMentors.CreateAsync($"expiry_notify_abandoned_{runner}");
        await using var _ = w.Db;
        // a run that committed one batch of 2 and was killed: its mentors are paused, nobody is told yet
        var killed = await StaleRunningRunAsync(w.Db);
        Assert.Equal(2, await OneBatchAsync(w.Db, killed, 2));
        Assert.Empty(await NotifiedAsync(w.Db, killed));
        // …two hours ago (the batch set the heartbeat; the next run abandons runs silent for an hour)
        await w.Db.DataSource.ExecuteAsync(
            "update public.status_job_runs set heartbeat_at = now() - interval '2 hours' where id = $1", killed);

        await ExpiryJobKeysetTests.RunAsync(w.Db, runner, batchSize: 2);

        var killedMentors = await PausedByAsync(w.Db, killed);
        Assert.Equal(2, killedMentors.Length);
        Assert.Equal([$"{w.Coordinator}:{string.Join(",", killedMentors)}"], await NotifiedAsync(w.Db, killed));
        var next = await w.Db.DataSource.ScalarAsync<Guid>(
            "select id from public.status_job_runs where id <> $1 and outcome = 'succeeded'", killed);
        var nextMentors = await PausedByAsync(w.Db, next);
        Assert.Equal(3, nextMentors.Length);
        Assert.Equal([$"{w.Coordinator}:{string.Join(",", nextMentors)}"], await NotifiedAsync(w.Db, next));
        // every paused mentor is in exactly one notification
        Assert.Equal(5, await w.Db.CountAsync(
            "select count(distinct m) from public.coordinator_notifications, unnest(mentor_ids) m"));
        Assert.Equal(5, await w.Db.CountAsync(
            "select sum(cardinality(mentor_ids)) from public.coordinator_notifications"));
    }

    [Fact]
    public async Task RunWithNotificationsFromBatchesOfTheOldDesign_IsMergedInto_OneNotificationPerCoordinator()
    {
        var w = await ExpiredMentors.CreateAsync("expiry_notify_merge");
        await using var _ = w.Db;
        var run = await StaleRunningRunAsync(w.Db);
        Assert.Equal(5, await OneBatchAsync(w.Db, run, 10));
        // what a batch of the previous design wrote for its first two mentors before the migration
        var early = w.Expired.Take(2).Order().ToArray();
        await w.Db.DataSource.ExecuteAsync(
            "insert into public.coordinator_notifications (job_run_id, coordinator_user_id, mentor_ids) values ($1, $2, $3)",
            run, w.Coordinator, early);

        // an operator ends the run by hand: the trigger fires on that path too
        await w.Db.DataSource.ExecuteAsync(
            "update public.status_job_runs set outcome = 'failed', finished_at = now(), error = 'stopped by hand' where id = $1", run);

        Assert.Equal([$"{w.Coordinator}:{string.Join(",", w.Expired.Order())}"], await NotifiedAsync(w.Db, run));
        // a later update of the finished run writes nothing more
        await w.Db.DataSource.ExecuteAsync("update public.status_job_runs set error = 'noted' where id = $1", run);
        Assert.Equal(1, await w.Db.CountAsync("select count(*) from public.coordinator_notifications where job_run_id = $1", run));
    }

    [Fact]
    public async Task ABatch_WritesNoNotification_AndRefusingTheFinish_LeavesNone()
    {
        var w = await ExpiredMentors.CreateAsync("expiry_notify_rollback");
        await using var _ = w.Db;
        var run = await StaleRunningRunAsync(w.Db);
        Assert.Equal(5, await OneBatchAsync(w.Db, run, 10));
        Assert.Equal(0, await w.Db.CountAsync("select count(*) from public.coordinator_notifications"));

        // the finish and its notifications are one transaction: rolled back together
        await using (var connection = await w.Db.DataSource.OpenConnectionAsync())
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await using var finish = new NpgsqlCommand(
                "update public.status_job_runs set outcome = 'succeeded', finished_at = now() where id = $1", connection, transaction)
                { Parameters = { new() { Value = run } } };
            await finish.ExecuteNonQueryAsync();
            await using var seen = new NpgsqlCommand("select count(*) from public.coordinator_notifications", connection, transaction);
            Assert.Equal(1L, await seen.ExecuteScalarAsync());
            await transaction.RollbackAsync();
        }
        Assert.Equal(0, await w.Db.CountAsync("select count(*) from public.coordinator_notifications"));
        Assert.Equal(["running"], await w.Db.DataSource.ColumnAsync("select outcome from public.status_job_runs where id = $1", run));
    }
}
