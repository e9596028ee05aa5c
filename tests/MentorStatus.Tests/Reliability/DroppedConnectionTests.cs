using MentorStatus.Tests.Infrastructure;
using Npgsql;
using Xunit.Abstractions;

namespace MentorStatus.Tests.Reliability;

/// <summary>
/// A user's connection dropped (pg_terminate_backend, as a network cut or a crashed client looks to the server)
/// in the middle of public.change_mentor_status: the status and its history row change together or not at all.
/// </summary>
[Trait("Category", "Reliability")]
public sealed class DroppedConnectionTests(ITestOutputHelper output)
{
    [Fact]
    public async Task DroppedBeforeCommitChangesNeitherStatusNorHistory()
    {
        var target = await TestDatabases.SeededAsync("rel_drop_before_commit");
        await using var data = target.CreateDataSource();
        var historyBefore = await HistoryCountAsync(data);

        await using (var victim = await data.OpenConnectionAsync())
        {
            var pid = await Faults.BackendPidAsync(victim);
            var transaction = await Faults.BeginAsUserAsync(victim, Faults.AlvaUser);
            await using (var change = Faults.ChangeStatusCommand(victim, Faults.Alva, "paused", "self_pause"))
                Assert.IsType<Guid>(await change.ExecuteScalarAsync()); // the change happened inside the transaction

            await Faults.TerminateAndWaitAsync(data, pid);

            var error = await Assert.ThrowsAnyAsync<NpgsqlException>(() => transaction.CommitAsync());
            output.WriteLine($"commit after the drop: {error.GetType().Name}: {error.Message}");
        }

        Assert.Equal("active", await StatusAsync(data, Faults.Alva));
        Assert.Equal(historyBefore, await HistoryCountAsync(data));
        await Faults.AssertHistoryChainsConsistentAsync(data);

        // Control: the same change committed shows both, so the assertions above can see a change.
        await using (var connection = await data.OpenConnectionAsync())
        {
            var transaction = await Faults.BeginAsUserAsync(connection, Faults.AlvaUser);
            await using (var change = Faults.ChangeStatusCommand(connection, Faults.Alva, "paused", "self_pause"))
                await change.ExecuteScalarAsync();
            await transaction.CommitAsync();
        }
        Assert.Equal("paused", await StatusAsync(data, Faults.Alva));
        Assert.Equal(historyBefore + 1, await HistoryCountAsync(data));
        await Faults.AssertHistoryChainsConsistentAsync(data);
    }

    /// <summary>
    /// Nora (coordinator) pauses Alva and holds the row lock; Alva's own self_pause waits for it inside the
    /// function's SELECT … FOR UPDATE. One of the two connections is dropped: the other's change, and only it,
    /// is recorded, with a consistent chain.
    /// </summary>
    [Theory]
    [InlineData("waiter")]
    [InlineData("holder")]
    public async Task DroppedWhileTheRowLockIsHeldOrWaitedOnLeavesExactlyTheOtherChange(string dropped)
    {
        var target = await TestDatabases.SeededAsync("rel_drop_lock_" + dropped);
        await using var data = target.CreateDataSource();
        var historyBefore = await HistoryCountAsync(data);

        await using var holder = await data.OpenConnectionAsync();
        var holderPid = await Faults.BackendPidAsync(holder);
        var holderTransaction = await Faults.BeginAsUserAsync(holder, Faults.Nora);
        await using (var change = Faults.ChangeStatusCommand(holder, Faults.Alva, "paused", "coordinator_manual_pause"))
            await change.ExecuteScalarAsync();

        await using var waiter = await data.OpenConnectionAsync();
        var waiterPid = await Faults.BackendPidAsync(waiter);
        var waiterTransaction = await Faults.BeginAsUserAsync(waiter, Faults.AlvaUser);
        var waiterChange = Faults.ChangeStatusCommand(waiter, Faults.Alva, "paused", "self_pause");
        var waiting = waiterChange.ExecuteScalarAsync();
        await Faults.WaitUntilAsync(async () => waiting.IsCompleted ||
            await data.ScalarAsync<string>("select wait_event_type from pg_stat_activity where pid = $1", waiterPid) == "Lock",
            "Alva's change to wait for the row lock");
        Assert.False(waiting.IsCompleted, "the second change did not wait for the row lock");

        string expectedReason;
        if (dropped == "waiter")
        {
            await Faults.TerminateAndWaitAsync(data, waiterPid);
            var error = await Assert.ThrowsAnyAsync<NpgsqlException>(() => waiting);
            output.WriteLine($"the waiting call got: {error.Message}");
            await holderTransaction.CommitAsync();
            expectedReason = "coordinator_manual_pause";
        }
        else
        {
            // The holder's uncommitted change disappears; the waiter then sees Alva still active and pauses her.
            await Faults.TerminateAndWaitAsync(data, holderPid);
            Assert.IsType<Guid>(await waiting);
            // The dropped holder learns it: its commit fails. (Without this call, disposing the idle broken
            // connection throws 57P01 from DisposeAsync, because Npgsql only then reads the server's goodbye.)
            await Assert.ThrowsAnyAsync<NpgsqlException>(() => holderTransaction.CommitAsync());
            await waiterTransaction.CommitAsync();
            expectedReason = "self_pause";
        }
        await waiterChange.DisposeAsync();

        Assert.Equal("paused", await StatusAsync(data, Faults.Alva));
        Assert.Equal(historyBefore + 1, await HistoryCountAsync(data));
        Assert.Equal([$"active->paused {expectedReason}"], await data.ColumnAsync(
            "select previous_status || '->' || new_status || ' ' || reason from public.peer_mentor_status_history where mentor_id = $1 and reason <> 'initial_status'",
            Guid.Parse(Faults.Alva)));
        await Faults.AssertHistoryChainsConsistentAsync(data);
    }

    private static Task<string> StatusAsync(NpgsqlDataSource data, string mentor) =>
        data.ScalarAsync<string>("select status::text from public.peer_mentors where id = $1", Guid.Parse(mentor));

    private static Task<long> HistoryCountAsync(NpgsqlDataSource data) =>
        data.ScalarAsync<long>("select count(*) from public.peer_mentor_status_history");
}
