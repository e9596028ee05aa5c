using System.Text.Json;
using MentorStatus.Database;
using MentorStatus.Database.Migrations;
using MentorStatus.Tests.Infrastructure;
using Npgsql;
using Xunit.Abstractions;

namespace MentorStatus.Tests.Reliability;

/// <summary>
/// The real `mentorstatus db up` process killed with SIGKILL at a controlled point (found by polling the
/// server, never by sleeping), and two real runners started at once. Afterwards journal and schema agree and
/// the next run completes.
/// </summary>
[Trait("Category", "Reliability")]
public sealed class KilledRunnerTests(ITestOutputHelper output)
{
    private const string HistoryIndex = "public.peer_mentor_status_history_mentor_id_changed_at_idx";
    private const string TimelineVersion = "20261101000300";

    [Fact]
    public async Task KilledInTheMiddleOfAMigrationLeavesNothingOfItAndTheNextRunCompletes()
    {
        using var project = new TempProject();
        project.AddMigration("20260101000001", "fault_control",
            "create table fault_control (sleep_seconds float8 not null);\ninsert into fault_control values (3);");
        project.AddMigration("20260101000002", "slow",
            "create table half_applied (x int);\n" +
            "insert into half_applied values (1);\n" +
            "select pg_sleep((select sleep_seconds from fault_control));\n" +
            "create table after_the_sleep (x int);");
        var target = await TestDatabases.PlatformAsync("rel_kill_tx");
        await using var data = target.CreateDataSource();

        int pid;
        using (var cli = Faults.CliProcess.Start(project.Layout.Root, "db", "up", "--db-url", target.Url))
        {
            pid = await KillWhenRunningAsync(cli, data, target, "%pg_sleep%");
        }

        // The server backend does not notice the dead client while it sleeps: it keeps its transaction (and
        // the session advisory lock) until the statement ends and it finds the socket closed. Wait for that,
        // as an operator would; the transaction is then rolled back by the server itself.
        output.WriteLine($"orphaned backend {pid} still alive right after SIGKILL: {await Faults.BackendAliveAsync(data, pid)}");
        await Faults.WaitUntilAsync(async () => !await Faults.BackendAliveAsync(data, pid), $"orphaned backend {pid} to end by itself");

        Assert.Equal(["20260101000001"], await Journal(data));
        Assert.Null(await data.ScalarAsync<string>("select to_regclass('public.half_applied')::text"));
        Assert.Null(await data.ScalarAsync<string>("select to_regclass('public.after_the_sleep')::text"));
        Assert.Equal(0L, await data.ScalarAsync<long>(
            $"select count(*) from pg_locks where locktype = 'advisory' and objid = ({MigrationRunner.AdvisoryLockKey}::bigint & 4294967295)::oid " +
            "and database = (select oid from pg_database where datname = current_database())"));

        await data.ExecuteAsync("update fault_control set sleep_seconds = 0"); // data, not the file: no drift
        var rerun = await CliRunner.RunAsync(project.Layout.Root, "db", "up", "--db-url", target.Url);
        Assert.True(rerun.ExitCode == 0, rerun.Stderr);
        Assert.Equal(["20260101000001", "20260101000002"], await Journal(data));
        Assert.Equal(1L, await data.ScalarAsync<long>("select count(*) from half_applied"));
        Assert.NotNull(await data.ScalarAsync<string>("select to_regclass('public.after_the_sleep')::text"));
    }

    [Fact]
    public async Task KilledDuringAConcurrentIndexBuildThenTheOrphanTerminatedLeavesAnInvalidIndexThatTheNextRunRebuilds()
    {
        var (project, target, data) = await MigratedUpToTheTimelineIndexAsync("rel_kill_cic_term");
        using var _p = project;
        await using var _d = data;

        await using var writer = await data.OpenConnectionAsync();
        var pid = await KillDuringIndexBuildAsync(project, target, data, writer);

        // Operator: end the orphaned build (it would otherwise wait for the writer forever), then let the writer go.
        await Faults.TerminateAndWaitAsync(data, pid);
        await using (var rollback = new NpgsqlCommand("rollback", writer)) await rollback.ExecuteNonQueryAsync();

        Assert.False(await data.ScalarAsync<bool>($"select indisvalid from pg_index where indexrelid = '{HistoryIndex}'::regclass"));
        Assert.DoesNotContain(TimelineVersion, await Journal(data));
        Assert.Null(await data.ScalarAsync<string>("select to_regprocedure('public.change_mentor_status(uuid, public.mentor_status, text)')::text"));

        var rerun = await CliRunner.RunAsync(project.Layout.Root, "db", "up", "--db-url", target.Url, "--json");
        Assert.True(rerun.ExitCode == 0, rerun.Stderr);
        using var json = JsonDocument.Parse(rerun.Stdout);
        var timeline = json.RootElement.EnumerateArray().Single(r => r.GetProperty("version").GetString() == TimelineVersion);
        Assert.Equal($"rebuilt invalid index {HistoryIndex}", timeline.GetProperty("note").GetString());
        await AssertCompleteAsync(data);
    }

    [Fact]
    public async Task KilledDuringAConcurrentIndexBuildWhoseOrphanFinishesIsJournaledByTheNextRun()
    {
        var (project, target, data) = await MigratedUpToTheTimelineIndexAsync("rel_kill_cic_orphan");
        using var _p = project;
        await using var _d = data;

        await using var writer = await data.OpenConnectionAsync();
        var pid = await KillDuringIndexBuildAsync(project, target, data, writer);

        // No operator: the writer commits and the orphaned backend carries on with the build on its own.
        await using (var commit = new NpgsqlCommand("commit", writer)) await commit.ExecuteNonQueryAsync();
        await Faults.WaitUntilAsync(async () => !await Faults.BackendAliveAsync(data, pid), $"orphaned index build {pid} to end");

        // The client died before it could journal: the schema may be AHEAD of the journal here (the index can
        // exist, valid or not, with no journal row). This is the one window where they disagree; it is safe only
        // because the statement is idempotent (IF NOT EXISTS) and the engine checks indisvalid. Documented.
        var valid = await data.ScalarAsync<bool?>($"select indisvalid from pg_index where indexrelid = to_regclass('{HistoryIndex}')");
        output.WriteLine($"after the orphaned build: index valid = {valid?.ToString() ?? "absent"}, journal = {string.Join(",", await Journal(data))}");
        Assert.DoesNotContain(TimelineVersion, await Journal(data));

        var rerun = await CliRunner.RunAsync(project.Layout.Root, "db", "up", "--db-url", target.Url);
        Assert.True(rerun.ExitCode == 0, rerun.Stderr);
        await AssertCompleteAsync(data);
    }

    [Fact]
    public async Task TwoRunnerProcessesStartedAtOnceApplyEachMigrationExactlyOnce()
    {
        using var project = TempProject.CopyOfRepository();
        project.AddMigration("20261201000000", "run_log",
            "create table public.run_log (version text not null, by_pid int not null default pg_backend_pid());\n" +
            "insert into public.run_log (version) values ('20261201000000');\n" +
            "select pg_sleep(1);");
        project.AddMigration("20261201000100", "run_log_second", "insert into public.run_log (version) values ('20261201000100');");
        var target = await TestDatabases.PlatformAsync("rel_two_runners");
        await using var data = target.CreateDataSource();

        using var first = Faults.CliProcess.Start(project.Layout.Root, "db", "up", "--db-url", target.Url, "--json");
        using var second = Faults.CliProcess.Start(project.Layout.Root, "db", "up", "--db-url", target.Url, "--json");
        var exits = await Task.WhenAll(first.WaitAsync(), second.WaitAsync());

        Assert.True(exits.All(e => e == 0), first.Stderr + second.Stderr);
        var applied = new[] { first, second }
            .Select(p => JsonDocument.Parse(p.Stdout).RootElement.EnumerateArray().Select(r => r.GetProperty("version").GetString()!).ToList())
            .ToList();
        output.WriteLine($"runner A applied {applied[0].Count}, runner B applied {applied[1].Count}");
        var files = Directory.GetFiles(project.Layout.MigrationsDirectory, "*.sql").Select(f => Path.GetFileName(f)[..14]).Order().ToList();
        Assert.Equal(files, applied.SelectMany(a => a).Order().ToList()); // every file applied by exactly one runner
        Assert.Equal(files, await Journal(data));
        Assert.Equal(["20261201000000", "20261201000100"], await data.ColumnAsync("select version from public.run_log order by version"));
        Assert.Single(await data.ColumnAsync("select distinct by_pid from public.run_log")); // one session ran them, not interleaved
    }

    // ------------------------------------------------------------------------------------------------

    private static Task<List<string>> Journal(NpgsqlDataSource data) =>
        data.ColumnAsync("select version from supabase_migrations.schema_migrations order by version");

    private async Task<int> KillWhenRunningAsync(Faults.CliProcess cli, NpgsqlDataSource data, DatabaseTarget target, string queryLike)
    {
        int? pid = null;
        await Faults.WaitUntilAsync(async () => cli.HasExited || (pid = await Faults.BackendRunningAsync(data, target.Database, queryLike)) is not null,
            $"the runner to reach a statement like {queryLike}");
        Assert.False(cli.HasExited, $"the runner ended before it could be killed:\n{cli.Stdout}\n{cli.Stderr}");
        await cli.SigKillAsync();
        output.WriteLine($"SIGKILLed runner process {cli.Pid} while its backend {pid} ran {queryLike}");
        return pid!.Value;
    }

    /// <summary>A database with the repository's migrations up to task-002's history table, and a project with all of them.</summary>
    private static async Task<(TempProject, DatabaseTarget, NpgsqlDataSource)> MigratedUpToTheTimelineIndexAsync(string purpose)
    {
        var project = TempProject.CopyOfRepository();
        var later = Directory.GetFiles(project.Layout.MigrationsDirectory, "*.sql")
            .Where(f => string.CompareOrdinal(Path.GetFileName(f)[..14], TimelineVersion) >= 0).ToList();
        var aside = later.ToDictionary(f => f, File.ReadAllText);
        foreach (var f in later) File.Delete(f);
        var target = await TestDatabases.PlatformAsync(purpose);
        var data = target.CreateDataSource();
        await new MigrationRunner(data, new MigrationSource(project.Layout)).UpAsync();
        foreach (var (f, text) in aside) File.WriteAllText(f, text);
        // Rows for the build to read, as in production.
        await data.ExecuteAsync("""
            insert into auth.users (id) values ('00000000-0000-4000-a003-000000000099');
            insert into public.organisations (id, name) values ('00000000-0000-4000-a001-000000000099', 'Load');
            insert into public.peer_mentors (id, organisation_id, display_name)
                select gen_random_uuid(), '00000000-0000-4000-a001-000000000099', 'm' || g from generate_series(1, 200) g;
            insert into public.peer_mentor_status_history (mentor_id, previous_status, new_status, changed_at, reason)
                select m.id, null, 'active', now() - g * interval '1 minute', 'initial_status'
                from public.peer_mentors m, generate_series(1, 50) g;
            """);
        return (project, target, data);
    }

    /// <summary>
    /// Holds a writer transaction on the history table so the concurrent build stops in "waiting for writers
    /// before build" (its INVALID index is already in the catalog then), and SIGKILLs the runner there.
    /// </summary>
    private async Task<int> KillDuringIndexBuildAsync(TempProject project, DatabaseTarget target, NpgsqlDataSource data, NpgsqlConnection writer)
    {
        await using (var hold = new NpgsqlCommand("begin; lock table public.peer_mentor_status_history in row exclusive mode", writer))
            await hold.ExecuteNonQueryAsync();

        using var cli = Faults.CliProcess.Start(project.Layout.Root, "db", "up", "--db-url", target.Url);
        int? pid = null;
        await Faults.WaitUntilAsync(async () =>
        {
            if (cli.HasExited) return true;
            await using var command = data.CreateCommand(
                "select pid from pg_stat_progress_create_index where datname = $1 and phase = 'waiting for writers before build'");
            command.Parameters.Add(new NpgsqlParameter { Value = target.Database });
            pid = await command.ExecuteScalarAsync() as int?;
            return pid is not null;
        }, "the concurrent index build to wait for the writer");
        Assert.False(cli.HasExited, $"the runner ended before it could be killed:\n{cli.Stdout}\n{cli.Stderr}");
        Assert.False(await data.ScalarAsync<bool>($"select indisvalid from pg_index where indexrelid = '{HistoryIndex}'::regclass"));
        await cli.SigKillAsync();
        output.WriteLine($"SIGKILLed runner process {cli.Pid} while its backend {pid} was building {HistoryIndex}");
        return pid!.Value;
    }

    private static async Task AssertCompleteAsync(NpgsqlDataSource data)
    {
        var files = Directory.GetFiles(TestDatabases.Project.MigrationsDirectory, "*.sql").Select(f => Path.GetFileName(f)[..14]).Order().ToList();
        Assert.Equal(files, await Journal(data));
        Assert.Equal(1L, await data.ScalarAsync<long>(
            "select count(*) from pg_indexes where tablename = 'peer_mentor_status_history' and indexname like '%mentor_id_changed_at%'"));
        Assert.True(await data.ScalarAsync<bool>($"select indisvalid and indisready from pg_index where indexrelid = '{HistoryIndex}'::regclass"));
        Assert.NotNull(await data.ScalarAsync<string>("select to_regprocedure('public.change_mentor_status(uuid, public.mentor_status, text)')::text"));
    }
}
