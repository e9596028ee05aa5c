using MentorStatus.Database.Migrations;
using MentorStatus.Health;
using MentorStatus.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace MentorStatus.Tests.DotNet;

/// <summary>
/// The schema embedded in the library, applied at start-up with MigrateMentorStatusAsync: the command line's engine,
/// journal and lock, on real databases; the migrations check is healthy without any project folder.
/// </summary>
public sealed class MigrateTests
{
    private static int MigrationFiles => Directory.GetFiles(TestDatabases.Project.MigrationsDirectory, "*.sql").Length;

    private static async Task<HealthReport> HealthAsync(IServiceProvider provider) =>
        await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync();

    [Fact]
    public async Task AnEmptyDatabase_IsMigratedAtStartUp_AndEveryCheckIsHealthy_WithNoProjectFolder()
    {
        var target = await TestDatabases.EmptyAsync("migrate_empty");
        await using var provider = MentorStatusHost.Build(target.ConnectionString);

        var before = await HealthAsync(provider);
        var pending = before.Entries[MigrationsCheck.Name];
        Assert.Equal(HealthStatus.Unhealthy, pending.Status);
        Assert.Contains($"{MigrationFiles} pending", pending.Description);
        Assert.Contains("MigrateMentorStatusAsync", pending.Description);
        Assert.DoesNotContain("--workdir", pending.Description);

        var applied = await provider.MigrateMentorStatusAsync();

        Assert.Equal(MigrationFiles, applied.Count);
        Assert.All(applied, r => Assert.Equal(MigrationAction.Applied, r.Action));
        var report = await HealthAsync(provider);
        Assert.All(report.Entries, e => Assert.True(e.Value.Status == HealthStatus.Healthy, $"{e.Key}: {e.Value.Description}"));
        Assert.Empty(await provider.MigrateMentorStatusAsync()); // up to date: nothing runs again
    }

    [Fact]
    public async Task ADatabaseMigratedByTheCommandLine_SharesItsJournal_AndTheAppsOwnMigrationsAreLeftAlone()
    {
        var target = await TestDatabases.MigratedAsync("migrate_shared");
        await using var dataSource = target.CreateDataSource();
        // the library's newest file not applied yet, and the application's own migration, journaled by the Supabase CLI
        // beside the library's with a newer version (the library's pending file is older than it and must still run)
        var versions = await dataSource.ColumnAsync("select version from supabase_migrations.schema_migrations order by version");
        await new MigrationRunner(dataSource, new MigrationSource(TestDatabases.Project)).DownAsync(1);
        await dataSource.ExecuteAsync(
            "insert into supabase_migrations.schema_migrations (version, name, statements) values ('29990101000000', 'app_own', array['select 1'])");
        await using var provider = MentorStatusHost.Build(target.ConnectionString);

        var applied = await provider.MigrateMentorStatusAsync();

        Assert.Equal([versions[^1]], applied.Select(r => r.Version));
        var migrations = (await HealthAsync(provider)).Entries[MigrationsCheck.Name];
        Assert.True(migrations.Status == HealthStatus.Healthy, migrations.Description);
        Assert.Contains("1 other migration(s) in the journal", migrations.Description);
        Assert.Equal((long)versions.Count + 1, await dataSource.ScalarAsync<long>("select count(*) from supabase_migrations.schema_migrations"));
    }

    [Fact]
    public async Task TwoInstancesStartingAtOnce_ApplyEachFileOnce_UnderTheCommandLinesLock()
    {
        var target = await TestDatabases.PlatformAsync("migrate_twice");
        await using var first = MentorStatusHost.Build(target.ConnectionString);
        await using var second = MentorStatusHost.Build(target.ConnectionString);

        var results = await Task.WhenAll(first.MigrateMentorStatusAsync(), second.MigrateMentorStatusAsync());

        Assert.Equal(MigrationFiles, results.Sum(r => r.Count));
        await using var dataSource = target.CreateDataSource();
        Assert.Equal((long)MigrationFiles, await dataSource.ScalarAsync<long>("select count(*) from supabase_migrations.schema_migrations"));
    }
}
