using MentorStatus.Database;
using MentorStatus.Database.Migrations;
using MentorStatus.Tests.Infrastructure;
using Npgsql;

namespace MentorStatus.Tests.Engine;

/// <summary>The engine against a real database: order, atomicity, the rules it refuses on, locking and repair.</summary>
public sealed class MigrationRunnerTests
{
    private static async Task<(DatabaseTarget Target, NpgsqlDataSource Data)> FreshAsync(string purpose)
    {
        var target = await TestDatabases.PlatformAsync(purpose);
        return (target, target.CreateDataSource());
    }

    private static MigrationRunner Runner(NpgsqlDataSource data, TempProject project, MigrationOptions? options = null) =>
        new(data, new MigrationSource(project.Layout), options);

    [Fact]
    public async Task AppliesInVersionOrderAndIgnoresFilesTheCliIgnores()
    {
        using var project = new TempProject();
        project.AddMigration("20260101000002", "second", "insert into log values ('second');");
        project.AddMigration("20260101000001", "first", "create table log (entry text, at timestamptz default clock_timestamp());");
        File.WriteAllText(Path.Combine(project.Layout.MigrationsDirectory, "notes.md"), "not a migration");
        File.WriteAllText(Path.Combine(project.Layout.MigrationsDirectory, "draft.sql"), "select oops");
        var (_, data) = await FreshAsync("order");
        await using var _d = data;

        var results = await Runner(data, project).UpAsync();

        Assert.Equal(["20260101000001", "20260101000002"], results.Select(r => r.Version));
        Assert.Equal("second", await data.ScalarAsync<string>("select entry from log"));
        Assert.Empty(await Runner(data, project).UpAsync()); // a second run has nothing to do
    }

    [Fact]
    public async Task JournalHasTheSupabaseCliColumnsAndStatements()
    {
        using var project = new TempProject();
        project.AddMigration("20260101000001", "things", "create table things (id int);\ncomment on table things is 'x';");
        var (_, data) = await FreshAsync("journal");
        await using var _d = data;
        await Runner(data, project).UpAsync();

        var columns = await data.ColumnAsync("""
            select column_name || ':' || data_type from information_schema.columns
            where table_schema = 'supabase_migrations' and table_name = 'schema_migrations' order by ordinal_position
            """);
        Assert.Equal(["version:text", "statements:ARRAY", "name:text"], columns);
        Assert.Equal("things", await data.ScalarAsync<string>("select name from supabase_migrations.schema_migrations"));
        Assert.Equal(2, await data.ScalarAsync<int>("select cardinality(statements) from supabase_migrations.schema_migrations"));
        Assert.Equal("version", await data.ScalarAsync<string>("""
            select a.attname from pg_index i join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
            where i.indrelid = 'supabase_migrations.schema_migrations'::regclass and i.indisprimary
            """));
    }

    [Fact]
    public async Task AFailingStatementLeavesNothingAndTheErrorSaysWhere()
    {
        using var project = new TempProject();
        project.AddMigration("20260101000001", "ok", "create table kept (id int);");
        project.AddMigration("20260101000002", "broken", "create table lost (id int);\ninsert into lost values (1);\n\nselect\n  no_such_column\nfrom lost;");
        var (_, data) = await FreshAsync("atomic");
        await using var _d = data;

        var error = await Assert.ThrowsAsync<MigrationFailedException>(() => Runner(data, project).UpAsync());

        Assert.Equal("supabase/migrations/20260101000002_broken.sql", error.Path);
        Assert.Equal(3, error.Statement.Number);
        Assert.Equal(5, error.Line);
        Assert.Equal("42703", error.SqlState);
        Assert.Contains("no_such_column", error.Message);
        Assert.Contains("nothing of this file was applied", error.Message);
        Assert.Null(await data.ScalarAsync<string>("select to_regclass('lost')::text"));
        Assert.NotNull(await data.ScalarAsync<string>("select to_regclass('kept')::text"));
        Assert.Equal(["20260101000001"], await data.ColumnAsync("select version from supabase_migrations.schema_migrations"));
    }

    [Fact]
    public async Task AFileMixingAConcurrentIndexWithOtherStatementsIsRefusedBeforeAnythingRuns()
    {
        using var project = new TempProject();
        project.AddMigration("20260101000001", "fine", "create table t (x int);");
        project.AddMigration("20260101000002", "mixed", "create table u (x int);\ncreate index concurrently u_x on u (x);");
        var (_, data) = await FreshAsync("mixed");
        await using var _d = data;

        var error = await Assert.ThrowsAsync<InvalidMigrationFileException>(() => Runner(data, project).UpAsync());

        Assert.Contains("20260101000002_mixed.sql:2", error.Message);
        Assert.Contains("must be the only statement in its file", error.Message);
        Assert.Null(await data.ScalarAsync<string>("select to_regclass('t')::text")); // not even the good file ran
    }

    [Fact]
    public async Task TransactionControlInAFileIsRefused()
    {
        using var project = new TempProject();
        project.AddMigration("20260101000001", "commits", "create table t (x int);\ncommit;");
        var (_, data) = await FreshAsync("txcontrol");
        await using var _d = data;
        var error = await Assert.ThrowsAsync<InvalidMigrationFileException>(() => Runner(data, project).UpAsync());
        Assert.Contains("controls the transaction", error.Message);
    }

    [Fact]
    public async Task DriftIsReportedAndRefusedUntilRepaired()
    {
        using var project = new TempProject();
        var path = project.AddMigration("20260101000001", "t", "create table t (x int);");
        var (_, data) = await FreshAsync("drift");
        await using var _d = data;
        await Runner(data, project).UpAsync();

        File.WriteAllText(path, "-- reformatted only\nCREATE TABLE t (\n  x int\n);\n");
        Assert.Empty((await Runner(data, project).PlanAsync()).Drifted); // layout and comments are not drift

        File.WriteAllText(path, "create table t (x bigint);");
        project.AddMigration("20260101000002", "u", "create table u (x int);");
        var plan = await Runner(data, project).PlanAsync();
        Assert.Equal(["20260101000001"], plan.Drifted);
        var error = await Assert.ThrowsAsync<MigrationDriftException>(() => Runner(data, project).UpAsync());
        Assert.Contains("db repair", error.Message);
        Assert.Null(await data.ScalarAsync<string>("select to_regclass('u')::text"));

        await Runner(data, project).RepairAsync("20260101000001", applied: true);
        Assert.Single(await Runner(data, project).UpAsync());
    }

    [Fact]
    public async Task AnOlderPendingMigrationIsRefusedUnlessIncluded()
    {
        using var project = new TempProject();
        project.AddMigration("20260101000002", "newer", "create table newer (x int);");
        var (_, data) = await FreshAsync("outoforder");
        await using var _d = data;
        await Runner(data, project).UpAsync();
        project.AddMigration("20260101000001", "older", "create table older (x int);");

        var error = await Assert.ThrowsAsync<OutOfOrderMigrationException>(() => Runner(data, project).UpAsync());
        Assert.Equal(["20260101000001"], error.Versions);
        Assert.Contains("--include-all", error.Message);

        var applied = await Runner(data, project, new MigrationOptions { IncludeAll = true }).UpAsync();
        Assert.Equal("20260101000001", Assert.Single(applied).Version);
    }

    [Fact]
    public async Task AMissingPrerequisiteIsNamed()
    {
        using var project = TempProject.CopyOfRepository();
        var task001 = Directory.GetFiles(project.Layout.MigrationsDirectory, "20261101000100_*.sql").Single();
        File.Delete(task001);
        var (_, data) = await FreshAsync("prerequisite");
        await using var _d = data;

        var error = await Assert.ThrowsAsync<MissingPrerequisiteException>(() => Runner(data, project).UpAsync());

        Assert.Equal("20261101000100", error.Required);
        Assert.Matches(@"supabase/migrations/20261101\d{6}_\w+\.sql requires migration 20261101000100, which is neither applied nor present", error.Message);
        Assert.Equal(0, await data.ScalarAsync<long>("select count(*) from supabase_migrations.schema_migrations"));
    }

    [Fact]
    public async Task TwoConcurrentRunnersApplyEachMigrationOnce()
    {
        using var project = new TempProject();
        project.AddMigration("20260101000001", "slow", "create table runs (n int);\nselect pg_sleep(0.5);\ninsert into runs values (1);");
        project.AddMigration("20260101000002", "after", "insert into runs values (2);");
        var (_, data) = await FreshAsync("concurrent");
        await using var _d = data;

        var both = await Task.WhenAll(Runner(data, project).UpAsync(), Runner(data, project).UpAsync());

        Assert.Equal(2, both.Sum(r => r.Count)); // one runner applied both, the other found nothing to do
        Assert.Contains(both, r => r.Count == 0);
        Assert.Equal(["1", "2"], await data.ColumnAsync("select n from runs order by n"));
    }

    [Fact]
    public async Task ARunnerGivesUpOnAHeldLockWithAClearMessage()
    {
        using var project = new TempProject();
        project.AddMigration("20260101000001", "t", "create table t (x int);");
        var (_, data) = await FreshAsync("lockwait");
        await using var _d = data;
        await using var holder = await data.OpenConnectionAsync();
        await using (var take = new NpgsqlCommand($"select pg_advisory_lock({MigrationRunner.AdvisoryLockKey})", holder))
            await take.ExecuteNonQueryAsync();

        var error = await Assert.ThrowsAsync<MigrationLockTimeoutException>(() =>
            Runner(data, project, new MigrationOptions { LockWait = TimeSpan.FromMilliseconds(500) }).UpAsync());
        Assert.Contains("server pid", error.Message);
    }

    [Fact]
    public async Task LockTimeoutStopsADdlStatementThatWouldQueueBehindATableLock()
    {
        using var project = new TempProject();
        project.AddMigration("20260101000001", "t", "create table t (x int);");
        var (_, data) = await FreshAsync("locktimeout");
        await using var _d = data;
        await Runner(data, project).UpAsync();
        project.AddMigration("20260101000002", "alter", "alter table t add column y int;");

        await using var blocker = await data.OpenConnectionAsync();
        await using var tx = await blocker.BeginTransactionAsync();
        await using (var read = new NpgsqlCommand("select * from t", blocker, tx)) await read.ExecuteNonQueryAsync();

        var error = await Assert.ThrowsAsync<MigrationFailedException>(() =>
            Runner(data, project, new MigrationOptions { LockTimeout = TimeSpan.FromMilliseconds(300) }).UpAsync());
        Assert.Equal("55P03", error.SqlState);
        Assert.Contains("--lock-timeout", error.Message);
    }

    [Fact]
    public async Task AnInvalidIndexLeftByAFailedConcurrentBuildIsDroppedAndRebuilt()
    {
        using var project = new TempProject();
        project.AddMigration("20260101000001", "table", "create table t (x int);\ninsert into t values (1), (1);");
        project.AddMigration("20260101000002", "index", "create unique index concurrently if not exists t_x_key on public.t (x);");
        var (_, data) = await FreshAsync("invalidindex");
        await using var _d = data;

        var failure = await Assert.ThrowsAsync<MigrationFailedException>(() => Runner(data, project).UpAsync());
        Assert.Equal("23505", failure.SqlState);
        Assert.Contains("run again to repair", failure.Message);
        Assert.False(await data.ScalarAsync<bool>("select indisvalid from pg_index where indexrelid = 'public.t_x_key'::regclass"));
        Assert.Equal(["20260101000001"], await data.ColumnAsync("select version from supabase_migrations.schema_migrations"));

        await data.ExecuteAsync("delete from t where ctid = (select max(ctid) from t)");
        var results = await Runner(data, project).UpAsync();

        Assert.Equal("rebuilt invalid index public.t_x_key", Assert.Single(results).Note);
        Assert.True(await data.ScalarAsync<bool>("select indisvalid from pg_index where indexrelid = 'public.t_x_key'::regclass"));
    }

    [Fact]
    public async Task DownRevertsTheNewestAndRefusesWithoutARollback()
    {
        using var project = new TempProject();
        project.AddMigration("20260101000001", "a", "create table a (x int);", "drop table a;");
        project.AddMigration("20260101000002", "b", "create table b (x int);");
        var (_, data) = await FreshAsync("down");
        await using var _d = data;
        await Runner(data, project).UpAsync();

        var error = await Assert.ThrowsAsync<MigrationException>(() => Runner(data, project).DownAsync(2));
        Assert.Contains("supabase/rollbacks/20260101000002_<name>.sql", error.Message);
        Assert.Equal(2, await data.ScalarAsync<long>("select count(*) from supabase_migrations.schema_migrations"));

        File.WriteAllText(Path.Combine(project.Layout.RollbacksDirectory, "20260101000002_b.sql"), "drop table b;");
        Assert.Equal(2, (await Runner(data, project).DownAsync(2)).Count);
        Assert.Null(await data.ScalarAsync<string>("select to_regclass('a')::text"));
        Assert.Equal(0, await data.ScalarAsync<long>("select count(*) from supabase_migrations.schema_migrations"));
    }

    [Theory]
    [InlineData(new byte[] { 0x63, 0x72, 0xff, 0xfe, 0x3b }, "not valid UTF-8")]
    [InlineData(new byte[] { 0x2d, 0x2d, 0x20, 0x6e, 0x6f, 0x74, 0x68, 0x69, 0x6e, 0x67, 0x0a }, "holds no SQL statement")]
    public async Task UnreadableFilesAreRefusedWithTheFix(byte[] content, string expected)
    {
        using var project = new TempProject();
        File.WriteAllBytes(Path.Combine(project.Layout.MigrationsDirectory, "20260101000001_bad.sql"), content);
        var (_, data) = await FreshAsync("unreadable");
        await using var _d = data;
        var error = await Assert.ThrowsAsync<InvalidMigrationFileException>(() => Runner(data, project).UpAsync());
        Assert.Contains(expected, error.Message);
    }
}
