using MentorStatus.Tests.Infrastructure;
using Npgsql;

namespace MentorStatus.Tests.Library;

/// <summary>
/// The expiry batch works in one pass (20261127130100): it reads its candidates without locking them and
/// pauses them by ctid, the UPDATE locking each row as it changes it; batches of concurrent runs take turns
/// under a transaction-level advisory lock. These tests hold real transactions open on a real server to put
/// a coordinator's status change, or another run's batch, exactly before or inside a batch.
/// </summary>
public sealed class ExpiryJobConcurrencyTests
{
    private static CertificationExpiryJob Job(LibraryDatabase db, int batchSize = 500) =>
        new(db.DataSource, options: new CertificationExpiryJobOptions { BatchSize = batchSize });

    /// <summary>A transaction acting as the coordinator (role authenticated, JWT claims), left open.</summary>
    private static async Task<(NpgsqlConnection, NpgsqlTransaction)> AsCoordinatorAsync(LibraryDatabase db, Guid coordinator)
    {
        var connection = await db.DataSource.OpenConnectionAsync();
        var transaction = await connection.BeginTransactionAsync();
        await using var command = new NpgsqlCommand(
            "select set_config('role', 'authenticated', true), set_config('request.jwt.claims', $1, true)", connection, transaction)
            { Parameters = { new() { Value = $$"""{"sub":"{{coordinator}}","role":"authenticated"}""" } } };
        await command.ExecuteNonQueryAsync();
        return (connection, transaction);
    }

    private static async Task DeactivateAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid mentor)
    {
        await using var command = new NpgsqlCommand(
            "select (public.change_mentor_status($1, 'inactive', 'coordinator_deactivate')).id", connection, transaction)
            { Parameters = { new() { Value = mentor } } };
        await command.ExecuteScalarAsync();
    }

    /// <summary>Waits until some backend waits for a lock held by <paramref name="holderPid"/>.</summary>
    private static async Task WaitUntilBlockedByAsync(LibraryDatabase db, int holderPid)
    {
        for (var i = 0; i < 300; i++)
        {
            if (await db.CountAsync("select count(*) from pg_stat_activity where $1 = any (pg_blocking_pids(pid))", holderPid) > 0) return;
            await Task.Delay(50);
        }
        throw new TimeoutException($"nothing waited for backend {holderPid} within 15 s.");
    }

    private static Task<List<string>> HistoryAsync(LibraryDatabase db, Guid mentor) =>
        db.DataSource.ColumnAsync("""
            select coalesce(previous_status::text, '-') || '>' || new_status || ' ' || reason || ' ' || case when job_run_id is null then 'user' else 'job' end
            from public.peer_mentor_status_history where mentor_id = $1 order by changed_at, id
            """, mentor);

    [Fact]
    public async Task CoordinatorChangeUncommittedWhenTheBatchArrives_Wins_TheBatchWaitsAndLeavesThatMentorAlone()
    {
        var w = await ExpiredMentors.CreateAsync("expiry_coordinator_first");
        await using var _ = w.Db;
        var target = w.Expired[2];
        var (connection, transaction) = await AsCoordinatorAsync(w.Db, w.Coordinator);
        await using var __ = connection;
        await DeactivateAsync(connection, transaction, target); // holds the mentor's row lock until commit

        var run = Job(w.Db).RunAsync();
        await WaitUntilBlockedByAsync(w.Db, connection.ProcessID); // the batch's UPDATE waits for the coordinator
        await transaction.CommitAsync();
        var result = await run;

        // the coordinator's change won; the batch re-checked the row's newest version and left it alone
        Assert.Equal(4, result.MentorsPaused);
        Assert.DoesNotContain(target, result.PausedMentorIds);
        Assert.Equal("inactive", await w.Db.StatusAsync(target));
        Assert.Equal(["->active initial_status user", "active>inactive coordinator_deactivate user"], await HistoryAsync(w.Db, target));
        foreach (var other in w.Expired.Where(m => m != target))
            Assert.Equal(["->active initial_status user", "active>paused certification_expired job"], await HistoryAsync(w.Db, other));
        Assert.Equal(4, await w.Db.CountAsync("select sum(cardinality(mentor_ids)) from public.coordinator_notifications where job_run_id = $1", result.RunId));
    }

    [Fact]
    public async Task CoordinatorChangeWhileTheBatchHoldsTheMentor_WaitsForTheBatch_ThenAppliesToThePausedMentor()
    {
        var w = await ExpiredMentors.CreateAsync("expiry_batch_first");
        await using var _ = w.Db;
        var target = w.Expired[2];
        var runId = await w.Db.DataSource.ScalarAsync<Guid>(
            "insert into public.status_job_runs (job_name, as_of, batch_size) values ('certification_expiry', now(), 500) returning id");
        // a batch, left uncommitted: it holds the row locks of every mentor it paused
        await using var batchConnection = await w.Db.DataSource.OpenConnectionAsync();
        await using var batch = await batchConnection.BeginTransactionAsync();
        await using (var call = new NpgsqlCommand("select mentors_paused from mentor_status_private.pause_expired_certifications($1, now(), 500)", batchConnection, batch)
                     { Parameters = { new() { Value = runId } } })
            Assert.Equal(5, (int)(await call.ExecuteScalarAsync())!);

        var (connection, transaction) = await AsCoordinatorAsync(w.Db, w.Coordinator);
        await using var __ = connection;
        var change = Task.Run(async () => { await DeactivateAsync(connection, transaction, target); await transaction.CommitAsync(); });
        await WaitUntilBlockedByAsync(w.Db, batchConnection.ProcessID);
        Assert.False(change.IsCompleted);
        await batch.CommitAsync();
        await change;

        // nothing lost: the pause and the coordinator's change each left their record, in order
        Assert.Equal("inactive", await w.Db.StatusAsync(target));
        Assert.Equal(["->active initial_status user", "active>paused certification_expired job", "paused>inactive coordinator_deactivate user"],
            await HistoryAsync(w.Db, target));
    }

    [Fact]
    public async Task SecondRunDuringAnUncommittedBatch_WaitsItsTurn_ThenPausesOnlyTheRest_WithoutStoppingEarly()
    {
        var w = await ExpiredMentors.CreateAsync("expiry_batches_take_turns", count: 6);
        await using var _ = w.Db;
        var firstRun = await w.Db.DataSource.ScalarAsync<Guid>(
            "insert into public.status_job_runs (job_name, as_of, batch_size) values ('certification_expiry', now(), 2) returning id");
        await using var batchConnection = await w.Db.DataSource.OpenConnectionAsync();
        await using var batch = await batchConnection.BeginTransactionAsync();
        await using (var call = new NpgsqlCommand("select mentors_paused from mentor_status_private.pause_expired_certifications($1, now(), 2)", batchConnection, batch)
                     { Parameters = { new() { Value = firstRun } } })
            Assert.Equal(2, (int)(await call.ExecuteScalarAsync())!);

        var second = Job(w.Db, batchSize: 2).RunAsync();
        await WaitUntilBlockedByAsync(w.Db, batchConnection.ProcessID); // waits for the turn, not for the rows
        Assert.False(second.IsCompleted);
        await batch.CommitAsync();
        var result = await second;

        // the first batch's two were not repeated, and the second run did not stop at the locked rows: it finished the other four
        Assert.Equal(4, result.MentorsPaused);
        Assert.Equal(2, result.Batches);
        Assert.Equal(6, await w.Db.CountAsync("select count(*) from public.peer_mentors where status = 'paused'"));
        Assert.Equal(6, await w.Db.CountAsync("select count(distinct mentor_id) from public.peer_mentor_status_history where reason = 'certification_expired'"));
        Assert.Equal(6, await w.Db.CountAsync("select count(*) from public.peer_mentor_status_history where reason = 'certification_expired'"));
    }

    [Fact]
    public async Task RenewedWhileTheBatchWaits_IsLeftActive()
    {
        var w = await ExpiredMentors.CreateAsync("expiry_renewed_meanwhile", count: 3);
        await using var _ = w.Db;
        var target = w.Expired[1];
        await using var owner = await w.Db.DataSource.OpenConnectionAsync();
        await using var renewal = await owner.BeginTransactionAsync();
        await using (var renew = new NpgsqlCommand("update public.peer_mentors set certification_expires_at = now() + interval '1 year' where id = $1", owner, renewal)
                     { Parameters = { new() { Value = target } } })
            await renew.ExecuteNonQueryAsync();

        var run = Job(w.Db).RunAsync();
        await WaitUntilBlockedByAsync(w.Db, owner.ProcessID);
        await renewal.CommitAsync();
        var result = await run;

        // the batch had read the old certification date; the re-check on the newest version saw the renewal
        Assert.Equal(2, result.MentorsPaused);
        Assert.Equal("active", await w.Db.StatusAsync(target));
        Assert.Equal(["->active initial_status user"], await HistoryAsync(w.Db, target));
    }
}
