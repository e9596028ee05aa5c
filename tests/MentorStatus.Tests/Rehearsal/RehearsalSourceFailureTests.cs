using MentorStatus.Database;
using MentorStatus.Tooling.Local;
using MentorStatus.Tests.Infrastructure;
using Npgsql;
using static MentorStatus.Tests.Rehearsal.RehearsalTests;

namespace MentorStatus.Tests.Rehearsal;

/// <summary>
/// A source `db rehearse` must not or cannot read: each ends with a clear error naming the problem and the fix,
/// the right exit code, and no throwaway cluster left behind.
/// </summary>
[Collection(RehearsalCollection.Name)]
public sealed class RehearsalSourceFailureTests(RehearsalSource source)
{
    [Fact]
    public async Task AWrongPasswordIsACleanErrorWithNoLeftover()
    {
        using var project = RehearsalProjects.SafeOnly();
        using var work = new WorkFolder();
        var url = source.ReaderUrl.Replace(RehearsalSource.ReaderPassword, "wrong-password");
        var run = await RehearsalTests.Cli(work, project, "db", "rehearse", "--from", url);
        Assert.Equal(1, run.ExitCode);
        Assert.Contains($"password authentication failed for role \"rehearse_reader\" at 127.0.0.1:{source.Port}", Flat(run.Stderr));
        Assert.Contains("check the user and password in --from", Flat(run.Stderr));
        Assert.DoesNotContain("wrong-password", run.Stderr);
        Assert.Empty(work.Leftovers());
    }

    [Fact]
    public async Task ARoleMissingATablePrivilegeIsNamedWithTheFix()
    {
        await using (var owner = source.Owner.CreateDataSource())
            await owner.ExecuteAsync("""
                do $$ begin
                  if not exists (select 1 from pg_roles where rolname = 'rehearse_partial') then
                    create role rehearse_partial login bypassrls password 'partial-secret';
                  end if;
                end $$;
                grant usage on schema public, auth to rehearse_partial;
                grant select on public.organisations, public.chapters to rehearse_partial;
                """);
        using var project = RehearsalProjects.SafeOnly();
        using var work = new WorkFolder();
        var url = $"postgresql://rehearse_partial:partial-secret@127.0.0.1:{source.Port}/{source.Owner.Database}";
        var run = await RehearsalTests.Cli(work, project, "db", "rehearse", "--from", url);
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("cannot read", Flat(run.Stderr));
        Assert.Contains("auth.users", Flat(run.Stderr)); // the first few unreadable tables are named, alphabetically
        Assert.Contains("grant pg_read_all_data to rehearse_partial", Flat(run.Stderr));
        Assert.Empty(work.Leftovers());
    }

    [Fact]
    public async Task ARoleThatCanWriteIsRefusedUnlessIKnow()
    {
        using var project = RehearsalProjects.SafeOnly();
        using var work = new WorkFolder();
        var run = await RehearsalTests.Cli(work, project, "db", "rehearse", "--from", source.OwnerUrl);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("can write to the source database", Flat(run.Stderr));
        Assert.Contains("superuser", Flat(run.Stderr));
        Assert.Contains("--i-know", Flat(run.Stderr));
        Assert.Empty(work.Leftovers());
    }

    [Fact]
    public async Task UsageProblemsExitTwo()
    {
        using var project = RehearsalProjects.SafeOnly();
        using var work = new WorkFolder();
        var noFrom = await RehearsalTests.Cli(work, project, "db", "rehearse");
        Assert.Equal(2, noFrom.ExitCode);
        Assert.Contains("the database to copy is required: set MENTORSTATUS_REHEARSE_FROM", Flat(noFrom.Stderr));
        var both = await RehearsalTests.Cli(work, project, "db", "rehearse", "--from", source.ReaderUrl, "--sample", "10", "--tables", "public.peer_mentors");
        Assert.Equal(2, both.ExitCode);
        Assert.Contains("--sample and --tables do not combine", Flat(both.Stderr));
        var badSample = await RehearsalTests.Cli(work, project, "db", "rehearse", "--from", source.ReaderUrl, "--sample", "0");
        Assert.Equal(2, badSample.ExitCode);
        Assert.Contains("--sample must be a percentage", Flat(badSample.Stderr));
        // found only once the source is read (a throwaway cluster exists by then): still a usage error, nothing left
        var noTable = await RehearsalTests.Cli(work, project, "db", "rehearse", "--from", source.ReaderUrl, "--tables", "public.no_such_table");
        Assert.Equal(2, noTable.ExitCode);
        Assert.Contains("the source has no table public.no_such_table", Flat(noTable.Stderr));
        Assert.Empty(work.Leftovers());
    }

    /// <summary>
    /// The source server stops while its rows stream into the copy. Deterministic: the source's table is slow to
    /// load into the copy (<see cref="SlowCopy"/>: at least 200 s), so the copy is provably still running when the
    /// server stops, and the run must end with the copy's own error, not exit 0.
    /// </summary>
    [Fact]
    public async Task ASourceServerThatGoesAwayMidCopyEndsWithAClearErrorAndNoLeftover()
    {
        // A source cluster of this test's own, stopped while the copy reads from it.
        var directory = Path.Combine(Path.GetTempPath(), $"mentorstatus-tests-gone-{Guid.NewGuid():N}"[..40]);
        var cluster = await LocalCluster.AtAsync(directory, new LocalClusterOptions
        {
            Port = TestCluster.FreePort(),
            Settings = new Dictionary<string, string> { ["fsync"] = "off", ["synchronous_commit"] = "off" },
        });
        try
        {
            await cluster.StartAsync();
            var target = cluster.Target("postgres");
            await using (var owner = target.CreateDataSource())
            {
                await owner.ExecuteAsync($"create role {RehearsalSource.ReaderRole} login bypassrls password '{RehearsalSource.ReaderPassword}' in role pg_read_all_data");
                await SlowCopy.CreateAsync(owner);
            }
            using var project = RehearsalProjects.SafeOnly();
            using var work = new WorkFolder();
            var url = $"postgresql://{RehearsalSource.ReaderRole}:{RehearsalSource.ReaderPassword}@127.0.0.1:{cluster.Port}/postgres";
            var run = RehearsalTests.Cli(work, project, "db", "rehearse", "--from", url, "--jobs", "1");

            await using (var watch = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(target.ConnectionString) { Pooling = false }.ConnectionString))
            {
                var deadline = DateTime.UtcNow.AddMinutes(3);
                while (!run.IsCompleted && DateTime.UtcNow < deadline && !await SlowCopy.CopyActiveAsync(watch))
                    await Task.Delay(20);
                Assert.False(run.IsCompleted, "the rehearsal ended before its copy began: " + (run.IsCompleted ? (await run).Stderr : ""));
                Assert.True(await SlowCopy.CopyActiveAsync(watch), "the copy never started on the source");
            }
            await cluster.StopAsync();

            var result = await run;
            Assert.Equal(1, result.ExitCode);
            Assert.True(Flat(result.Stderr).Contains("the copy from the source broke off"), "stderr:\n" + result.Stderr);
            Assert.Contains("check that the source server is up", Flat(result.Stderr));
            Assert.Empty(work.Leftovers());
        }
        finally
        {
            await cluster.DestroyAsync();
        }
    }
}
