using MentorStatus.Tests.Infrastructure;
using Npgsql;

namespace MentorStatus.Tests.Library;

/// <summary>
/// Keyset continuation of the expiry job (20261127140100): each batch reads after the previous batch's last
/// (certification_expires_at, id), and the run ends when a batch finds nothing after its cursor, not when a
/// batch paused nobody. The .NET job and the pg_cron procedure pass the cursor the same way; both are run.
/// </summary>
public sealed class ExpiryJobKeysetTests
{
    public enum Runner { DotNetJob, PgCronProcedure }

    /// <summary>Runs the expiry job to the end with this runner (also used by <see cref="ExpiryHistoryIdTests"/>).</summary>
    internal static Task RunAsync(LibraryDatabase db, Runner runner, int batchSize) => runner switch
    {
        Runner.DotNetJob => new CertificationExpiryJob(db.DataSource, options: new CertificationExpiryJobOptions { BatchSize = batchSize }).RunAsync(),
        _ => CallProcedureAsync(db, batchSize),
    };

    private static async Task CallProcedureAsync(LibraryDatabase db, int batchSize)
    {
        await using var call = db.DataSource.CreateCommand("call mentor_status_private.run_certification_expiry_job(null, $1)");
        call.Parameters.Add(new() { Value = batchSize });
        await call.ExecuteNonQueryAsync();
    }

    private static Task<List<string>> RunsAsync(LibraryDatabase db) =>
        db.DataSource.ColumnAsync("select outcome || '/' || mentors_paused || '/' || batches from public.status_job_runs order by started_at");

    private static Task<long> PausesOfAsync(LibraryDatabase db, Guid mentor) =>
        db.CountAsync("select count(*) from public.peer_mentor_status_history where mentor_id = $1 and reason = 'certification_expired'", mentor);

    private static async Task WaitUntilBlockedByAsync(LibraryDatabase db, int holderPid)
    {
        for (var i = 0; i < 300; i++)
        {
            if (await db.CountAsync("select count(*) from pg_stat_activity where $1 = any (pg_blocking_pids(pid))", holderPid) > 0) return;
            await Task.Delay(50);
        }
        throw new TimeoutException($"nothing waited for backend {holderPid} within 15 s.");
    }

    [Theory]
    [InlineData(Runner.DotNetJob)]
    [InlineData(Runner.PgCronProcedure)]
    public async Task BatchWhoseEveryCandidateWasChangedConcurrently_PausesNobody_AndTheRunGoesOnAfterIt(Runner runner)
    {
        var w = await ExpiredMentors.CreateAsync($"expiry_keyset_empty_batch_{runner}");
        await using var _ = w.Db;
        // the first batch of 2 reads the two earliest expiries; a coordinator deactivates both and holds them
        var first = new[] { w.Expired[4], w.Expired[3] };
        await using var connection = await w.Db.DataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var command = new NpgsqlCommand(
            "select set_config('role', 'authenticated', true), set_config('request.jwt.claims', $1, true)", connection, transaction)
            { Parameters = { new() { Value = $$"""{"sub":"{{w.Coordinator}}","role":"authenticated"}""" } } })
            await command.ExecuteNonQueryAsync();
        foreach (var m in first)
        {
            await using var change = new NpgsqlCommand("select (public.change_mentor_status($1, 'inactive', 'coordinator_deactivate')).id", connection, transaction)
                { Parameters = { new() { Value = m } } };
            await change.ExecuteScalarAsync();
        }

        var run = RunAsync(w.Db, runner, batchSize: 2);
        await WaitUntilBlockedByAsync(w.Db, connection.ProcessID); // batch 1 waits for the two rows
        await transaction.CommitAsync();
        await run;

        // batch 1 re-checked both rows and paused neither; the run did not stop there (a loop ending at the first
        // batch that paused nobody would leave the other three active)
        foreach (var m in first) Assert.Equal("inactive", await w.Db.StatusAsync(m));
        foreach (var m in w.Expired.Except(first))
        {
            Assert.Equal("paused", await w.Db.StatusAsync(m));
            Assert.Equal(1, await PausesOfAsync(w.Db, m));
        }
        Assert.Equal(["succeeded/3/2"], await RunsAsync(w.Db));
    }

    [Theory]
    [InlineData(Runner.DotNetJob)]
    [InlineData(Runner.PgCronProcedure)]
    public async Task MentorsSharingOneExpiryAcrossBatchBoundaries_AreEachPausedOnce(Runner runner)
    {
        var w = await ExpiredMentors.CreateAsync($"expiry_keyset_ties_{runner}");
        await using var _ = w.Db;
        // certifications that end at the same instant (e.g. at midnight): the cursor must settle ties by id
        await w.Db.DataSource.ExecuteAsync("update public.peer_mentors set certification_expires_at = date_trunc('day', now()) - interval '3 days' where id = any($1)", w.Expired);

        await RunAsync(w.Db, runner, batchSize: 2);

        foreach (var m in w.Expired)
        {
            Assert.Equal("paused", await w.Db.StatusAsync(m));
            Assert.Equal(1, await PausesOfAsync(w.Db, m));
        }
        Assert.Equal(["succeeded/5/3"], await RunsAsync(w.Db));
    }

    [Fact]
    public async Task Batch_ReadsOnlyAfterItsCursor_AndReturnsTheNext_NoneWhenNothingIsLeft()
    {
        var w = await ExpiredMentors.CreateAsync("expiry_keyset_cursor");
        await using var _ = w.Db;
        var runId = await w.Db.DataSource.ScalarAsync<Guid>(
            "insert into public.status_job_runs (job_name, as_of, batch_size) values ('certification_expiry', now(), 2) returning id");
        var (cursorAt, cursorId) = await CursorOfAsync(w.Db, w.Expired[3]);
        const string batch = """
            select mentors_paused, paused_mentor_ids, last_expires_at, last_mentor_id
            from mentor_status_private.pause_expired_certifications($1, now(), 2, $2, $3)
            """;

        // after Expired[3]: Expired[2] and Expired[1], although Expired[4] (before the cursor) is still eligible
        await using (var reader = await Command(w.Db, batch, runId, cursorAt, cursorId).ExecuteReaderAsync())
        {
            Assert.True(await reader.ReadAsync());
            Assert.Equal(2, reader.GetInt32(0));
            Assert.Equal(new[] { w.Expired[2], w.Expired[1] }.Order(), reader.GetFieldValue<Guid[]>(1).Order());
            (cursorAt, cursorId) = (new DateTimeOffset(reader.GetDateTime(2)), reader.GetGuid(3));
        }
        Assert.Equal(await CursorOfAsync(w.Db, w.Expired[1]), (cursorAt, cursorId));
        Assert.Equal("active", await w.Db.StatusAsync(w.Expired[4]));

        await using (var reader = await Command(w.Db, batch, runId, cursorAt, cursorId).ExecuteReaderAsync())
        {
            Assert.True(await reader.ReadAsync());
            Assert.Equal(1, reader.GetInt32(0)); // Expired[0], the last one
            (cursorAt, cursorId) = (new DateTimeOffset(reader.GetDateTime(2)), reader.GetGuid(3));
        }
        await using (var reader = await Command(w.Db, batch, runId, cursorAt, cursorId).ExecuteReaderAsync())
        {
            Assert.True(await reader.ReadAsync());
            Assert.Equal(0, reader.GetInt32(0));
            Assert.True(reader.IsDBNull(2));
            Assert.True(reader.IsDBNull(3)); // nothing after the cursor: the run ends
        }
    }

    [Fact]
    public async Task MentorExpiringBehindTheCursorDuringARun_IsLeftToTheNextRun()
    {
        var w = await ExpiredMentors.CreateAsync("expiry_keyset_behind", count: 3);
        await using var _ = w.Db;
        var org = await w.Db.DataSource.ScalarAsync<Guid>("select organisation_id from public.peer_mentors where id = $1", w.Expired[0]);
        var late = await w.Db.MentorAsync(org, [], 30, name: "late");
        // after batch 1, the late mentor's certification is corrected to a date before every cursor of the run
        var job = new CertificationExpiryJob(w.Db.DataSource, options: new CertificationExpiryJobOptions
        {
            BatchSize = 1,
            AfterBatch = async (p, ct) =>
            {
                if (p.Batch == 1)
                    await w.Db.DataSource.ExecuteAsync("update public.peer_mentors set certification_expires_at = now() - interval '10 days' where id = $1", late);
            },
        });

        var first = await job.RunAsync();

        Assert.Equal(3, first.MentorsPaused);
        Assert.DoesNotContain(late, first.PausedMentorIds);
        Assert.Equal("active", await w.Db.StatusAsync(late));

        var next = await new CertificationExpiryJob(w.Db.DataSource).RunAsync();
        Assert.Equal([late], next.PausedMentorIds);
        Assert.Equal(1, await PausesOfAsync(w.Db, late));
    }

    private static async Task<(DateTimeOffset, Guid)> CursorOfAsync(LibraryDatabase db, Guid mentor) =>
        (new DateTimeOffset(await db.DataSource.ScalarAsync<DateTime>("select certification_expires_at from public.peer_mentors where id = $1", mentor)), mentor);

    private static NpgsqlCommand Command(LibraryDatabase db, string sql, params object[] values)
    {
        var command = db.DataSource.CreateCommand(sql);
        foreach (var v in values) command.Parameters.Add(new() { Value = v });
        return command;
    }
}
