using System.Diagnostics;
using MentorStatus.TestSupport;
using MentorStatus.Database.Migrations;
using MentorStatus.Tests.Infrastructure;
using Npgsql;

namespace MentorStatus.Tests.ScaleOut;

/// <summary>
/// `db up` through a real PgBouncer. In transaction mode (Supavisor on 6543) the migration lock, a session advisory lock,
/// would land on a pooled server connection and outlive the runner there, blocking every later `db up`: the runner refuses
/// before taking it, under concurrent load, naming the direct and the session-mode port, and leaves no lock behind. In
/// session mode (one server connection per client) it works.
/// </summary>
public sealed class MigrationsThroughPoolerTests
{
    private static readonly string MigrationLocks = $"""
        select count(*) from pg_locks
        where locktype = 'advisory' and classid = ({MigrationRunner.AdvisoryLockKey}::bigint >> 32)::oid
          and objid = ({MigrationRunner.AdvisoryLockKey}::bigint & 4294967295)::oid and objsubid = 1
          and database = (select oid from pg_database where datname = current_database())
        """;

    [Fact]
    public async Task UpThroughATransactionPoolerUnderLoad_IsRefused_LeavesNoLock_AndALaterUpDoesNotBlock()
    {
        Assert.True(LocalPgBouncer.FindProgram() is not null, "pgbouncer is not installed: apt-get install pgbouncer (scripts/test.sh does).");
        var target = await TestDatabases.PlatformAsync("pooler_up");
        var direct = new NpgsqlConnectionStringBuilder(target.ConnectionString);
        await using var bouncer = await LocalPgBouncer.StartAsync(
            Path.Combine(Path.GetTempPath(), $"mentorstatus-tests-pgbouncer-{Guid.NewGuid():N}"), direct.Port, TestCluster.FreePort(), (await TestCluster.GetAsync()).Password, poolSize: 3);
        var pooledUrl = bouncer.Target(direct.Database!).ConnectionString;

        // Other clients keep the pool busy the whole time: short transactions, as an app's would be.
        using var stop = new CancellationTokenSource();
        await using var pooled = NpgsqlDataSource.Create(pooledUrl);
        var queries = 0;
        var load = Enumerable.Range(0, 6).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await using var connection = await pooled.OpenConnectionAsync();
                await using var command = new NpgsqlCommand("select pg_sleep(0.002)", connection);
                await command.ExecuteNonQueryAsync();
                Interlocked.Increment(ref queries);
            }
        })).ToList();

        try
        {
            var runs = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ =>
                CliRunner.RunAsync(TestDatabases.Project.Root, "db", "up", "--db-url", pooledUrl, "--lock-wait", "5")));
            foreach (var run in runs)
            {
                Assert.True(run.ExitCode == 2, run.Stdout + run.Stderr);
                Assert.Contains("transaction pooler", run.Stderr);
                Assert.Contains("port 5432", run.Stderr);
                Assert.Contains("session", run.Stderr);
            }
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(load);
        }
        Assert.True(queries > 50, $"the load ran {queries} queries only");

        // No migration lock anywhere on the server, nothing applied; a direct `db up` gets the lock at once.
        await using (var data = target.CreateDataSource())
        {
            Assert.Equal(0L, await data.ScalarAsync<long>(MigrationLocks));
            Assert.True(await data.ScalarAsync<bool>("select to_regclass('supabase_migrations.schema_migrations') is null")); // not even the journal
        }
        var clock = Stopwatch.StartNew();
        var up = await CliRunner.RunAsync(TestDatabases.Project.Root, "db", "up", "--db-url", target.Url, "--lock-wait", "5");
        Assert.True(up.ExitCode == 0, up.Stderr);
        Assert.DoesNotContain("waiting for another migration runner", up.Stderr);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"db up took {clock.Elapsed}");
    }

    [Fact]
    public async Task UpThroughASessionPooler_Works()
    {
        Assert.True(LocalPgBouncer.FindProgram() is not null, "pgbouncer is not installed: apt-get install pgbouncer (scripts/test.sh does).");
        var target = await TestDatabases.PlatformAsync("pooler_session_up");
        var direct = new NpgsqlConnectionStringBuilder(target.ConnectionString);
        await using var bouncer = await LocalPgBouncer.StartAsync(
            Path.Combine(Path.GetTempPath(), $"mentorstatus-tests-pgbouncer-{Guid.NewGuid():N}"), direct.Port, TestCluster.FreePort(), (await TestCluster.GetAsync()).Password, poolSize: 3,
            poolMode: "session");
        var up = await CliRunner.RunAsync(TestDatabases.Project.Root, "db", "up", "--db-url", bouncer.Target(direct.Database!).ConnectionString);
        Assert.True(up.ExitCode == 0, up.Stderr);
        await using var data = target.CreateDataSource();
        Assert.Equal(Directory.GetFiles(TestDatabases.Project.MigrationsDirectory, "*.sql").Length,
            (int)await data.ScalarAsync<long>("select count(*) from supabase_migrations.schema_migrations"));
        Assert.Equal(0L, await data.ScalarAsync<long>(MigrationLocks));
    }
}
