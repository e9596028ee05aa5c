using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using MentorStatus.Database;
using MentorStatus.Rehearsal;
using MentorStatus.Tests.Infrastructure;
using Npgsql;
using Xunit.Abstractions;

namespace MentorStatus.Tests.Rehearsal;

/// <summary>
/// `db rehearse` against a real source: the four kinds of migration judged right under real load, the source
/// unchanged, and the throwaway cluster gone after a normal end, an error and Ctrl+C (a real CLI process).
/// Each run gets a temp folder of its own (TMPDIR for the CLI), which must be empty afterwards.
/// </summary>
[Collection(RehearsalCollection.Name)]
public sealed class RehearsalTests(RehearsalSource source, ITestOutputHelper log)
{
    [Fact]
    public async Task EveryKindOfMigrationIsJudgedRightUnderLoadAndTheSourceStaysUnchanged()
    {
        using var project = RehearsalProjects.EveryKind();
        using var work = new WorkFolder();
        var before = await source.FingerprintAsync();

        var report = await new MigrationRehearsal(project.Layout, new RehearsalOptions
        {
            Source = DatabaseTarget.Parse(source.ReaderUrl),
            LoadClients = 4,
            WorkRoot = work.Path,
            InitdbCacheFolder = work.InitdbCache,
            MaxBlock = TimeSpan.FromMilliseconds(100),
        }).RunAsync();

        Assert.Equal(before, await source.FingerprintAsync());
        Assert.Empty(work.Leftovers());
        Assert.Empty(report.Copy.Warnings);
        Assert.True(report.Copy.Rows >= RehearsalSource.HistoryRows + 3 * RehearsalSource.Mentors, $"copied {report.Copy.Rows} rows");
        Assert.NotNull(report.Baseline);
        Assert.True(report.Baseline!.Operations >= 4 * MigrationRehearsal.BaselineCallsPerClient, $"the clients ran before the migrations: {report.Baseline}");
        Assert.Equal(6, report.Migrations.Count);
        Assert.True(report.RollbackRestoredSchema, $"{report.RollbackError} {string.Join("\n", report.SchemaDifferences)}");

        var additive = Single(report, RehearsalProjects.Additive);
        Assert.Empty(additive.Written);
        Assert.Contains(additive.Locks, l => l.Relation == "public.peer_mentors" && l.Mode == "AccessExclusiveLock");

        var rewrite = Single(report, RehearsalProjects.Rewrite);
        Assert.True(rewrite.RewroteTable);
        Assert.Contains(rewrite.Written, w => w.Relation == "public.peer_mentors" && w.Rewritten && w.Bytes > 0);
        Assert.Contains(rewrite.Locks, l => l.Relation == "public.peer_mentors" && l.BlocksReads && l.Rows == RehearsalSource.Mentors);

        var plain = Single(report, RehearsalProjects.PlainIndex);
        Assert.Contains(plain.Locks, l => l.Relation == "public.peer_mentor_status_history" && l.Mode == "ShareLock" && l.BlocksWrites && !l.BlocksReads);
        Assert.Contains(plain.Written, w => w.Relation == "public.peer_mentor_status_history_reason_idx" && !w.Rewritten && w.Bytes > 1_000_000);
        Assert.True(plain.WalBytes > 1_000_000, $"WAL {plain.WalBytes}");
        Assert.Contains(plain.LintFindings, f => f.StartsWith("MS001", StringComparison.Ordinal));
        Assert.True(plain.Clients!.WaitedOnLock > 0, "writers waited for the plain index build");
        // What the server saw the clients wait agrees with what the clients measured themselves.
        var seen = plain.Clients.LongestLockWait.TotalMilliseconds;
        Assert.True(seen > 0.5 * plain.Duration.TotalMilliseconds, $"longest wait {seen} ms, build {plain.Duration.TotalMilliseconds} ms");
        // (a client's call also includes its own work: allow the baseline's p99 on top)
        Assert.InRange(plain.Clients.MaxMs, seen - 50, seen + Math.Max(report.Baseline.P99Ms + 250, seen * 0.3));

        var concurrent = Single(report, RehearsalProjects.ConcurrentIndex);
        Assert.False(concurrent.Transactional);
        Assert.DoesNotContain(concurrent.Locks, l => l.BlocksWrites);
        Assert.Equal(0, concurrent.Clients!.WaitedOnLock);

        Assert.Contains(report.Blocking, b => b.Statement == plain);
        Assert.DoesNotContain(report.Blocking, b => b.Statement == concurrent);
        // Blocking by their locks (SHARE or stronger on a table with rows, longer than --max-block), whoever waited:
        // the plain index build, both volatile defaults (table rewrites) and the validated CHECK (a full scan under
        // ACCESS EXCLUSIVE); the concurrent build lets writers through.
        foreach (var name in new[] { RehearsalProjects.Rewrite, RehearsalProjects.VolatileDefault, RehearsalProjects.PlainIndex, RehearsalProjects.ValidatedCheck })
        {
            var statement = Single(report, name);
            Assert.True(statement.Verdict == StatementVerdict.Blocking, $"{name}: {statement.Verdict} ({statement.VerdictReason})");
        }
        Assert.True(Single(report, RehearsalProjects.VolatileDefault).RewroteTable);
        Assert.Equal(StatementVerdict.Safe, concurrent.Verdict);
        Assert.Empty(report.NotMeasured);
        // The instant ALTER only waits for the clients' short transactions; the index build holds writers for its whole run.
        Assert.True(additive.BlockedFor(true) < plain.BlockedFor(true), $"additive {additive.BlockedFor(true)} vs index {plain.BlockedFor(true)}");
        Assert.False(report.Ok);
        Assert.StartsWith("NOT safe online", report.Verdict);
    }

    /// <summary>
    /// The copy's own rules refuse every change the clients try (the self-change limit is 0 on this source: MS429):
    /// the app's writes stop, and before the fix a plain index build on the history blocked nobody who measured it and
    /// was called safe (exit 0). Its lock blocks every writer for the whole build: blocking by the lock alone.
    /// </summary>
    [Fact]
    public async Task APlainIndexIsBlockingEvenWhenTheCopysRulesRefuseEveryClientChange()
    {
        var database = await TestDatabases.MigratedAsync("rehearse_refused");
        await using (var owner = database.CreateDataSource())
        {
            await using (var connection = await owner.OpenConnectionAsync())
            {
                await using (var replica = new NpgsqlCommand("set session_replication_role = replica", connection)) await replica.ExecuteNonQueryAsync();
                await RehearsalSource.LoadAsync(connection, RehearsalSource.HistoryRows);
            }
            await owner.ExecuteAsync("update public.mentor_status_settings set self_change_limit = 0");
            await owner.ExecuteAsync("vacuum analyze");
        }
        using var project = RehearsalProjects.PlainIndexOnly();
        using var work = new WorkFolder();
        var from = $"postgresql://{RehearsalSource.ReaderRole}:{RehearsalSource.ReaderPassword}@127.0.0.1:{source.Port}/{database.Database}";
        var run = await Cli(work, project, "db", "rehearse", "--from", from, "--load", "2", "--max-block", "0.05", "--json");
        Assert.True(run.ExitCode == 1, $"exit {run.ExitCode}: {run.Stdout}\n{run.Stderr}");
        using var json = JsonDocument.Parse(run.Stdout);
        Assert.StartsWith("NOT safe online", json.RootElement.GetProperty("verdict").GetString());
        var statement = json.RootElement.GetProperty("report").GetProperty("migrations")[0].GetProperty("statements")[0];
        Assert.Equal("blocking", statement.GetProperty("verdict").GetString());
        var clients = statement.GetProperty("clients");
        Assert.True(clients.GetProperty("failed").GetInt32() > 0, "the copy's rules refused the clients' changes: " + clients);
        Assert.Empty(work.Leftovers());
    }

    [Fact]
    public async Task ATablesRehearsalCopiesTheMigrationJournalSoOnlyThePendingMigrationsRun()
    {
        // --tables copies the named tables and what they reference; the journal must come along whatever is named,
        // or every migration looks pending on the copy and the first one fails ("relation … already exists")
        using var project = RehearsalProjects.SafeOnly();
        using var work = new WorkFolder();
        var run = await Cli(work, project, "db", "rehearse", "--from", source.ReaderUrl, "--tables", "public.peer_mentors", "--json",
            "--max-block", "3");
        Assert.True(run.ExitCode == 0, run.Stderr + run.Stdout);
        using var json = JsonDocument.Parse(run.Stdout);
        Assert.StartsWith("safe to apply online", json.RootElement.GetProperty("verdict").GetString());
        var report = json.RootElement.GetProperty("report");
        Assert.Equal([RehearsalProjects.Additive, RehearsalProjects.ConcurrentIndex],
            report.GetProperty("migrations").EnumerateArray().Select(m => Path.GetFileNameWithoutExtension(m.GetProperty("file").GetString())));
        // the copy's journal agrees with the source's: the lint that ran beside the copy was used, none ran after it
        var phases = report.GetProperty("phases").EnumerateArray().Select(p => p.GetProperty("phase").GetString()).ToList();
        Assert.Contains(RehearsalPhases.LintWait, phases);
        Assert.DoesNotContain(RehearsalPhases.LintAfterCopy, phases);
        Assert.Empty(work.Leftovers());
    }

    /// <remarks>The kept copy is as closed as production: its URL carries no password, the random password is in a 0600
    /// passfile that the printed psql command uses, and another OS user can neither read nor reach any of it.</remarks>
    [Fact]
    public async Task KeepLeavesTheCopyRunningAndSaysHowToStopAndDeleteIt()
    {
        using var project = RehearsalProjects.SafeOnly();
        using var work = new WorkFolder();
        var run = await Cli(work, project, "db", "rehearse", "--from", source.ReaderUrl, "--sample", "10", "--keep", "--json", "--max-block", "3");
        using var json = JsonDocument.Parse(run.Stdout);
        var report = json.RootElement.GetProperty("report");
        var stop = report.GetProperty("kept_cluster_stop_command").GetString()!;
        try
        {
            Assert.True(run.ExitCode == 0, run.Stderr + run.Stdout);
            Assert.Contains("kept the throwaway cluster in ", Flat(run.Stderr));
            // the kept copy answers at the URL the report gives, with the password of its passfile, with the sampled rows in it
            var url = report.GetProperty("kept_cluster_url").GetString()!;
            var passFile = report.GetProperty("kept_cluster_pass_file").GetString()!;
            var password = MentorStatus.Tooling.Local.LocalCluster.PasswordFromPassFile(passFile)!;
            Assert.Matches("^[0-9a-f]{32}$", password);
            Assert.DoesNotContain(password, run.Stdout + run.Stderr); // printed nowhere, in no URL
            Assert.DoesNotMatch("://[^/@]*:[^/@]*@", url);
            var target = new NpgsqlConnectionStringBuilder(DatabaseTarget.Parse(url).ConnectionString) { Password = password };
            await using (var copy = NpgsqlDataSource.Create(target.ConnectionString))
            await using (var count = copy.CreateCommand("select count(*) from public.peer_mentors"))
                Assert.InRange((long)(await count.ExecuteScalarAsync())!, 1, RehearsalSource.Mentors - 1);
            // the printed way to connect works as printed (through PGPASSFILE)
            var connect = report.GetProperty("kept_cluster_connect_command").GetString()!;
            Assert.Contains(connect, Flat(run.Stderr));
            using (var psql = Process.Start(new ProcessStartInfo("bash", ["-c", connect + " -w -Atc 'select count(*) > 0 from public.peer_mentors'"])
                   { RedirectStandardError = true, RedirectStandardOutput = true })!)
            {
                var said = await psql.StandardOutput.ReadToEndAsync() + await psql.StandardError.ReadToEndAsync();
                await psql.WaitForExitAsync();
                Assert.True(psql.ExitCode == 0 && said.Trim() == "t", $"{connect}: {said}");
            }
            var server = work.Server();
            Assert.NotNull(server);
            // the attacks, as another OS user: the old fixed password, the socket, the passfile, the folder
            var root = Path.GetDirectoryName(Path.GetDirectoryName(passFile))!;
            Assert.Empty(OtherOsUser.OpenEntries(root));
            Assert.False((await OtherOsUser.PsqlAsync("nobody", "127.0.0.1", server!.Value.Port, "postgres")).Succeeded, "TCP with the old fixed password");
            Assert.False((await OtherOsUser.PsqlAsync("nobody", Path.Combine(root, "cluster", "run"), server.Value.Port)).Succeeded, "the socket as nobody");
            Assert.False((await OtherOsUser.RunAsync("nobody", "cat", [passFile])).Succeeded, "reading the passfile");
            Assert.False((await OtherOsUser.RunAsync("nobody", "ls", [root])).Succeeded, "listing the kept cluster's folder");
        }
        finally
        {
            // the printed command is what a user runs: it must stop the server and delete the folder
            using var shell = Process.Start(new ProcessStartInfo("bash", ["-c", stop]) { RedirectStandardError = true, RedirectStandardOutput = true })!;
            var said = await shell.StandardError.ReadToEndAsync() + await shell.StandardOutput.ReadToEndAsync();
            await shell.WaitForExitAsync();
            Assert.True(shell.ExitCode == 0, $"{stop}\n{said}");
        }
        Assert.Empty(work.Leftovers());
    }

    [Fact]
    public async Task ASafeSampledRehearsalExitsZeroWithJsonAndKeepsForeignKeys()
    {
        using var project = RehearsalProjects.SafeOnly();
        using var work = new WorkFolder();
        var run = await Cli(work, project, "db", "rehearse", "--from", source.ReaderUrl, "--sample", "10", "--load", "2", "--json",
            "--max-block", "3"); // generous: on a shared, overloaded machine even an instant ALTER queues behind slow client transactions
        Assert.True(run.ExitCode == 0, run.Stderr + run.Stdout);
        using var json = JsonDocument.Parse(run.Stdout);
        Assert.True(json.RootElement.GetProperty("ok").GetBoolean());
        Assert.StartsWith("safe to apply online", json.RootElement.GetProperty("verdict").GetString());
        var copy = json.RootElement.GetProperty("report").GetProperty("copy");
        Assert.Equal(0, copy.GetProperty("warnings").GetArrayLength()); // every foreign key was created on the sample
        Assert.True(copy.GetProperty("sampled_tables").GetInt32() >= 2);
        var rows = copy.GetProperty("rows").GetInt64();
        Assert.InRange(rows, RehearsalSource.HistoryRows / 20, RehearsalSource.HistoryRows / 5);
        Assert.Empty(work.Leftovers());

        // Every phase timed, in the order they ran, adding up to no more than the command took.
        var phases = json.RootElement.GetProperty("report").GetProperty("phases").EnumerateArray()
            .Select(p => (Name: p.GetProperty("phase").GetString()!, Ms: p.GetProperty("duration").GetDouble(), Overlapped: p.GetProperty("overlapped").GetBoolean()))
            .ToList();
        log.WriteLine("phases (ms): " + string.Join(", ", phases.Select(p => $"{p.Name} {p.Ms:0}")));
        Assert.Equal(
            [RehearsalPhases.SourceCheck, RehearsalPhases.Initdb, RehearsalPhases.Start, RehearsalPhases.SourceReadWait, RehearsalPhases.SourceRead,
             RehearsalPhases.SchemaCopy, RehearsalPhases.RowCopy,
             RehearsalPhases.PostData, RehearsalPhases.Analyze, RehearsalPhases.Plan, RehearsalPhases.LintWait, RehearsalPhases.Lint, RehearsalPhases.Durability,
             RehearsalPhases.LoadBaseline, RehearsalPhases.Migrations, RehearsalPhases.Rollback, RehearsalPhases.StopAndDelete],
            phases.Select(p => p.Name));
        Assert.All(phases, p => Assert.True(p.Ms >= 0, $"{p.Name}: {p.Ms} ms"));
        Assert.Equal([RehearsalPhases.SourceRead, RehearsalPhases.Lint], phases.Where(p => p.Overlapped).Select(p => p.Name));
        // the lint started during the row copy: its own time holds the wait for it after the plan, and more
        Assert.True(phases.Single(p => p.Name == RehearsalPhases.Lint).Ms >= phases.Single(p => p.Name == RehearsalPhases.LintWait).Ms);
        var whole = phases.Where(p => !p.Overlapped).Sum(p => p.Ms);
        Assert.True(whole <= run.Elapsed.TotalMilliseconds, $"phases {whole} ms, command {run.Elapsed.TotalMilliseconds} ms");
        // the baseline window of --load alone lasts at least its 2 s
        Assert.True(phases.Single(p => p.Name == RehearsalPhases.LoadBaseline).Ms >= MigrationRehearsal.BaselineWindow.TotalMilliseconds);

        // The first run (an empty cache) ran initdb and kept it; the second copies it, and says so.
        Assert.Single(work.InitdbCacheEntries());
        var again = await Cli(work, project, "db", "rehearse", "--from", source.ReaderUrl, "--sample", "10");
        Assert.True(again.ExitCode == 0, again.Stderr + again.Stdout);
        Assert.Contains($"{RehearsalPhases.InitdbFromCache} ", Flat(again.Stderr));
        Assert.DoesNotContain($", {RehearsalPhases.Initdb} ", Flat(again.Stderr));
        Assert.Single(work.InitdbCacheEntries());
        Assert.Empty(work.InitdbCacheLeftovers());
        Assert.Empty(work.Leftovers());
    }

    [Fact]
    public async Task AFailingMigrationExitsOneNamesTheStatementAndLeavesNoCluster()
    {
        using var project = TempProject.CopyOfRepository();
        project.AddMigration("20270101000000", "broken", "alter table public.no_such_table add column x int;\n", "select 1;\n");
        using var work = new WorkFolder();
        var run = await Cli(work, project, "db", "rehearse", "--from", source.ReaderUrl, "--sample", "1");
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("no_such_table", run.Stdout + Flat(run.Stderr));
        Assert.Contains("NOT safe", run.Stdout + Flat(run.Stderr));
        Assert.Empty(work.Leftovers());
    }

    /// <summary>Where in the run the signal lands (each waits for the phase's own progress line first).</summary>
    public enum Phase { Cluster, Copy, Lint, LintDuringCopy, Migration }

    private const int SigInt = 2;
    private const int SigTerm = 15;

    /// <summary>
    /// Ctrl+C (SIGINT) or SIGTERM while the cluster is created, in the row copy, in the lint's replay of a sleeping statement (after the copy,
    /// and while the rows are still being copied beside it), and in a sleeping
    /// migration under load: the CLI stops within seconds, prints "cancelled", exits 130, and leaves no folder, no
    /// server process and no listening port behind. The CLI is started with SIGINT ignored, as CI's background job
    /// started the whole suite: under that inherited disposition .NET installed no SIGINT handler and the old CLI
    /// slept on (the defect of issue 13's CI runs); the CLI now restores SIGINT first thing (InterruptSignal).
    /// With <paramref name="signals"/> &gt; 1, more Ctrl+C follow 20 ms apart, during the cleanup (an impatient user):
    /// they must not end the process in the middle of its cleanup (the default action of a second SIGINT would).
    /// </summary>
    [Theory]
    [InlineData(Phase.Cluster, SigInt, 1)]
    [InlineData(Phase.Copy, SigInt, 1)]
    [InlineData(Phase.Lint, SigInt, 1)]
    [InlineData(Phase.LintDuringCopy, SigInt, 1)]
    [InlineData(Phase.Migration, SigInt, 1)]
    [InlineData(Phase.Migration, SigTerm, 1)]
    [InlineData(Phase.Migration, SigInt, 3)]
    public async Task CtrlCDeletesTheThrowawayCluster(Phase phase, int signal, int signals)
    {
        using var project = RehearsalProjects.SafeOnly();
        var from = source.ReaderUrl;
        // 1 % of the mentors (with their history, and the reference tables and the journal whole): quick to copy.
        string[] options = ["--jobs", "1", "--sample", "1"];
        string phaseLine;
        NpgsqlDataSource? slowSource = null;
        switch (phase)
        {
            case Phase.Cluster:
                // initdb and the start take seconds: the signal lands before the copy begins
                phaseLine = "creating a throwaway PostgreSQL 15 cluster";
                break;
            case Phase.Copy or Phase.LintDuringCopy:
                // A database whose rows are slow to load into the copy: the copy cannot finish before the signal.
                var database = await TestDatabases.EmptyAsync("rehearse_slow_copy");
                slowSource = database.CreateDataSource();
                await SlowCopy.CreateAsync(slowSource);
                from = $"postgresql://{RehearsalSource.ReaderRole}:{RehearsalSource.ReaderPassword}@127.0.0.1:{source.Port}/{database.Database}";
                options = ["--jobs", "1"];
                phaseLine = "copying rows";
                // The lint, which runs beside the row copy, sleeps in this file: the signal lands in both at once.
                if (phase == Phase.LintDuringCopy) project.AddMigration("20270101000900", "slow_in_the_lint", "select pg_sleep(600);\n", "select 1;\n");
                break;
            case Phase.Lint:
                // Sleeps where the mentors table is empty: in the lint's replay on empty scratch databases only.
                project.AddMigration("20270101000900", "slow_when_empty",
                    "select pg_sleep(600) where not exists (select 1 from public.peer_mentors);\n", "select 1;\n");
                phaseLine = "linting the pending migrations";
                break;
            default:
                // Sleeps where mentors exist: on the copy only, not in the lint's replay.
                project.AddMigration("20270101000900", "slow_on_rows",
                    "select pg_sleep(600) from (select 1 from public.peer_mentors limit 1) as has_rows;\n", "select 1;\n");
                options = [.. options, "--load", "2"];
                phaseLine = "applying supabase/migrations/20270101000900_slow_on_rows.sql";
                break;
        }
        await using var _ = slowSource;
        using var work = new WorkFolder();
        var info = WithSigintIgnored(CliRunner.StartInfo(project.Layout.Root, ["db", "rehearse", "--from", from, .. options]));
        info.Environment["TMPDIR"] = work.Path;
        info.Environment["XDG_CACHE_HOME"] = work.XdgCacheHome; // empty: the Cluster phase is signalled in initdb itself
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderrLines = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var stderrDone = Task.Run(async () =>
        {
            while (await process.StandardError.ReadLineAsync() is { } line) stderrLines.Enqueue(line);
        });
        string Stderr() => string.Join('\n', stderrLines);
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(300);
            while (!Stderr().Contains(phaseLine, StringComparison.Ordinal) && DateTime.UtcNow < deadline && !process.HasExited)
                await Task.Delay(100);
            Assert.True(Stderr().Contains(phaseLine, StringComparison.Ordinal), $"no \"{phaseLine}\" line: {Stderr()}");
            if (slowSource is not null)
                while (!await SlowCopy.CopyActiveAsync(slowSource) && DateTime.UtcNow < deadline && !process.HasExited) await Task.Delay(50);
            if (phase == Phase.LintDuringCopy)
                while (!(work.Server() is { } lintServer && await LintSleepsAsync(lintServer.Port, lintServer.Password)) && DateTime.UtcNow < deadline && !process.HasExited)
                    await Task.Delay(100);
            else if (phase != Phase.Cluster) await Task.Delay(1000); // into the sleeping statement
            Assert.False(process.HasExited, "the rehearsal ended before the signal: " + Stderr());
            var server = work.Server(); // (none yet while the cluster is being created)
            if (phase != Phase.Cluster) Assert.NotNull(server);
            if (phase == Phase.Copy) await AssertTheCopyIsClosedAsync(work);
            if (signal == SigInt) Assert.True(CatchesSigint(process.Id), "the CLI installed no SIGINT handler: " + File.ReadAllText($"/proc/{process.Id}/status"));

            if (phase == Phase.LintDuringCopy)
            {
                // both at once: the lint's scratch database sleeps while the source still sends rows
                Assert.True(await LintSleepsAsync(server!.Value.Port, server.Value.Password), "the lint's replay did not reach its sleeping statement during the copy: " + Stderr());
                Assert.True(await SlowCopy.CopyActiveAsync(slowSource!), "the row copy was not running: " + Stderr());
            }

            var clock = Stopwatch.StartNew();
            Assert.Equal(0, kill(process.Id, signal));
            for (var again = 1; again < signals; again++)
            {
                // 20 ms apart: inside the cancellation and the cleanup it starts (stopping the server alone takes longer;
                // waiting for the "stopping:" line first was too slow on a quiet machine, where the cleanup had ended)
                await Task.Delay(20);
                if (kill(process.Id, signal) == 0) continue;
                // no such process: the cleanup had already ended (a quiet machine, a short phase); nothing left to signal
                Assert.True(process.WaitForExit(TimeSpan.FromSeconds(5)), $"signal {signal} #{again + 1} failed while the CLI still ran");
                break;
            }
            // A few seconds on a quiet machine; the bound is wide because the cleanup (pg_ctl stop, deleting the folder)
            // took 47 s once with the machine's load average at 40 on 2 cores.
            Assert.True(process.WaitForExit(TimeSpan.FromSeconds(120)), $"the CLI did not stop within 120 s of signal {signal} in the {phase} phase: " + Stderr());
            var stopped = clock.Elapsed;
            await stdout;
            await stderrDone;
            log.WriteLine($"{phase}, signal {signal} ×{signals}: stopped {stopped.TotalSeconds:0.0} s after the first signal");
            // 130; or 128 + the signal when System.CommandLine gave up waiting (30 s) and the process exit waited for the cleanup
            Assert.True(process.ExitCode is 130 || process.ExitCode == 128 + signal, $"exit {process.ExitCode}: {Stderr()}");
            Assert.Contains("cancelled", Stderr());
            // The signal landed in the phase: the next phase's line never came.
            var next = phase switch
            {
                Phase.Cluster => "copying roles", Phase.Copy or Phase.LintDuringCopy => "building indexes", Phase.Lint => "applying ", _ => "rolling back",
            };
            Assert.DoesNotContain(next, Stderr());
            Assert.True(work.Leftovers().Count == 0, $"left behind: {string.Join(", ", work.Leftovers())}\n{Stderr()}");
            Assert.True(work.InitdbCacheLeftovers().Count == 0, $"left in the initdb cache: {string.Join(", ", work.InitdbCacheLeftovers())}");
            if (server is { } s)
            {
                // pg_ctl stop -w returns when the pid file is gone, a moment before the postmaster has exited
                var exited = DateTime.UtcNow.AddSeconds(10);
                while (IsAlive(s.Pid) && DateTime.UtcNow < exited) await Task.Delay(100);
                Assert.False(IsAlive(s.Pid), $"the throwaway server (pid {s.Pid}) still runs");
                Assert.False(IsListening(s.Port), $"port {s.Port} still listens");
            }
            if (slowSource is not null)
            {
                // and the source holds no session of the rehearsal any more
                var gone = DateTime.UtcNow.AddSeconds(10);
                while (await slowSource.ScalarAsync<long>("select count(*) from pg_stat_activity where application_name like 'mentorstatus-rehearse%'") > 0 && DateTime.UtcNow < gone)
                    await Task.Delay(100);
                Assert.Equal(0, await slowSource.ScalarAsync<long>("select count(*) from pg_stat_activity where application_name like 'mentorstatus-rehearse%'"));
            }
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
    }

    /// <summary>
    /// Whether the throwaway server (listening on <paramref name="port"/>) runs the lint's sleeping statement in one of
    /// the lint's scratch databases (mslint_…), as its own pg_stat_activity shows (the password from its passfile).
    /// </summary>
    private static async Task<bool> LintSleepsAsync(int port, string? password)
    {
        var url = new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1", Port = port, Username = "postgres", Password = password,
            Database = "postgres", Pooling = false, Timeout = 5,
        };
        try
        {
            await using var connection = new NpgsqlConnection(url.ConnectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("""
                select count(*) from pg_stat_activity
                where pid <> pg_backend_pid() and datname like 'mslint%' and state = 'active' and query ilike '%pg_sleep(600)%'
                """, connection);
            return (long)(await command.ExecuteScalarAsync())! > 0;
        }
        catch (NpgsqlException)
        {
            return false; // not accepting connections yet, or already stopping
        }
    }

    /// <summary>
    /// While production's rows are copied, the throwaway cluster's folder (random name) and everything in it, the dump
    /// of the source's schema included, is closed to other OS users; the old fixed password opens nothing.
    /// </summary>
    private static async Task AssertTheCopyIsClosedAsync(WorkFolder work)
    {
        var root = Assert.Single(Directory.EnumerateDirectories(work.Path, "mentorstatus-rehearse-*"));
        Assert.Matches("^mentorstatus-rehearse-[0-9a-f]{16}$", Path.GetFileName(root));
        var schemaDump = Path.Combine(root, "schema.dump");
        Assert.True(File.Exists(schemaDump), "the schema dump is kept until the post-data restore");
        Assert.Empty(OtherOsUser.OpenEntries(root));
        Assert.Equal("", await OtherOsUser.NotOwnedByAsync(Path.Combine(root, "cluster"), "postgres"));
        Assert.False((await OtherOsUser.RunAsync("nobody", "cat", [schemaDump])).Succeeded, "reading the schema dump as nobody");
        Assert.False((await OtherOsUser.RunAsync("nobody", "ls", [root])).Succeeded, "listing the copy's folder as nobody");
        var port = work.Server()!.Value.Port;
        Assert.False((await OtherOsUser.PsqlAsync("nobody", "127.0.0.1", port, "postgres")).Succeeded, "the copy with the old fixed password");
        Assert.False((await OtherOsUser.PsqlAsync("nobody", Path.Combine(root, "cluster", "run"), port)).Succeeded, "the copy's socket as nobody");
    }

    /// <summary>Runs the command with SIGINT ignored, inherited through exec (what a non-interactive shell does to `cmd &amp;`).</summary>
    private static ProcessStartInfo WithSigintIgnored(ProcessStartInfo info)
    {
        var command = new List<string> { info.FileName };
        command.AddRange(info.ArgumentList);
        info.FileName = "/bin/sh";
        info.ArgumentList.Clear();
        foreach (var a in (IEnumerable<string>)["-c", "trap '' INT; exec \"$0\" \"$@\"", .. command]) info.ArgumentList.Add(a);
        return info;
    }

    /// <summary>Whether the process has a handler for SIGINT (bit 2 of SigCgt in /proc/PID/status).</summary>
    private static bool CatchesSigint(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("SigCgt:", StringComparison.Ordinal));
        return (Convert.ToUInt64(line["SigCgt:".Length..].Trim(), 16) & (1UL << (SigInt - 1))) != 0;
    }

    /// <summary>The process exists and is not a zombie (an exited child its parent has not reaped yet).</summary>
    private static bool IsAlive(int pid)
    {
        if (kill(pid, 0) != 0) return false;
        try
        {
            return !File.ReadAllText($"/proc/{pid}/stat").Split(')')[^1].TrimStart().StartsWith('Z');
        }
        catch (IOException)
        {
            return false; // gone in between
        }
    }

    private static bool IsListening(int port)
    {
        try
        {
            using var client = new System.Net.Sockets.TcpClient();
            client.Connect(System.Net.IPAddress.Loopback, port);
            return true;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return false;
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);

    private static StatementRehearsal Single(RehearsalReport report, string migration) =>
        Assert.Single(Assert.Single(report.Migrations, m => m.File.Contains(migration, StringComparison.Ordinal)).Statements);

    /// <summary>Console output wraps long lines: compare text with its whitespace collapsed.</summary>
    internal static string Flat(string text) => System.Text.RegularExpressions.Regex.Replace(text, @"\s+", " ");

    internal static async Task<CliRunner.Result> Cli(WorkFolder work, TempProject project, params string[] args)
    {
        var info = CliRunner.StartInfo(project.Layout.Root, args);
        info.Environment["TMPDIR"] = work.Path;
        info.Environment["XDG_CACHE_HOME"] = work.XdgCacheHome; // not the user's own initdb cache
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return new CliRunner.Result(process.ExitCode, await stdout, await stderr) { Elapsed = clock.Elapsed };
    }
}

/// <summary>A temp folder of one test's own for the throwaway cluster; what is left in it is a leftover.</summary>
public sealed class WorkFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("ms-rehearse-test-").FullName;

    public WorkFolder()
    {
        // the postgres OS user must pass through to the cluster folder inside
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(Path, (UnixFileMode)0b111_101_101);
    }

    /// <summary>The XDG cache home the CLI is given: the initdb cache is <see cref="InitdbCache"/> inside it.</summary>
    public string XdgCacheHome => System.IO.Path.Combine(Path, "xdg-cache");
    public string InitdbCache => System.IO.Path.Combine(XdgCacheHome, "mentorstatus");

    public IReadOnlyList<string> InitdbCacheEntries() => CacheFolders().Where(n => !n.StartsWith('.')).ToList();

    /// <summary>A half-built (.build-*) or discarded (.stale-*) entry left in the initdb cache.</summary>
    public IReadOnlyList<string> InitdbCacheLeftovers() => CacheFolders().Where(n => n.StartsWith('.')).ToList();

    private IEnumerable<string> CacheFolders() => Directory.Exists(InitdbCache)
        ? Directory.EnumerateDirectories(InitdbCache).Select(p => System.IO.Path.GetFileName(p)!)
        : [];

    public IReadOnlyList<string> Leftovers() =>
        Directory.EnumerateFileSystemEntries(Path).Where(p => System.IO.Path.GetFileName(p).StartsWith("mentorstatus-rehearse-", StringComparison.Ordinal)).ToList();

    /// <summary>The running throwaway server's postmaster pid and port (lines 1 and 4 of its postmaster.pid), and its
    /// password (from its passfile, which only root and the server's user can read), if one runs.</summary>
    public (int Pid, int Port, string? Password)? Server()
    {
        foreach (var d in Directory.EnumerateDirectories(Path, "mentorstatus-rehearse-*"))
        {
            var file = System.IO.Path.Combine(d, "cluster", "data", "postmaster.pid");
            if (!File.Exists(file)) continue;
            var lines = File.ReadAllLines(file);
            if (lines.Length >= 4)
                return (int.Parse(lines[0], CultureInfo.InvariantCulture), int.Parse(lines[3], CultureInfo.InvariantCulture),
                        MentorStatus.Tooling.Local.LocalCluster.PasswordFromPassFile(System.IO.Path.Combine(d, "cluster", MentorStatus.Tooling.Local.LocalCluster.PassFileName)));
        }
        return null;
    }

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}

[CollectionDefinition(Name)]
public sealed class RehearsalCollection : ICollectionFixture<RehearsalSource>
{
    public const string Name = "rehearsal source";
}
