using MentorStatus.Database.Migrations;
using MentorStatus.Tests.Infrastructure;
using Microsoft.Extensions.Logging;

namespace MentorStatus.Tests.Engine;

/// <summary>The engine logs each file applied, skipped or failed, with version, duration and SQLSTATE, and never the password.</summary>
public sealed class MigrationLoggingTests
{
    [Fact]
    public async Task AppliedSkippedAndFailedFilesAreLoggedWithTheirFields()
    {
        using var project = TempProject.CopyOfRepository();
        var target = await TestDatabases.PlatformAsync("engine_logging");
        await using var data = target.CreateDataSource();
        using var logs = new CapturingLoggerProvider();
        using var factory = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Debug));
        var logger = factory.CreateLogger<MigrationRunner>();

        var applied = await new MigrationRunner(data, new MigrationSource(project.Layout), logger: logger).UpAsync();
        var done = logs.ById(4000).ToList();
        Assert.Equal(applied.Select(r => r.Version), done.Select(e => (string)e.Fields["Version"]!));
        Assert.All(done, e =>
        {
            Assert.Equal(MigrationAction.Applied, e.Fields["Action"]);
            Assert.True((double)e.Fields["DurationMs"]! > 0);
            Assert.Equal(LogLevel.Information, e.Level);
        });

        project.AddMigration("20991231000000", "fails", "create table public.logged_ok (id int);\nselect 1/0;\n");
        await Assert.ThrowsAsync<MigrationFailedException>(() => new MigrationRunner(data, new MigrationSource(project.Layout), logger: logger).UpAsync());
        var skipped = logs.ById(4001).Select(e => (string)e.Fields["Version"]!).ToList();
        Assert.Equal(applied.Select(r => r.Version), skipped);
        var failed = Assert.Single(logs.ById(4002));
        Assert.Equal(LogLevel.Error, failed.Level);
        Assert.Equal("20991231000000", failed.Fields["Version"]);
        Assert.Equal("22012", failed.Fields["SqlState"]); // division_by_zero
        Assert.Equal(2, failed.Fields["Statement"]);
        Assert.Equal(true, failed.Fields["RolledBack"]);

        var password = new Npgsql.NpgsqlConnectionStringBuilder(target.ConnectionString).Password!;
        Assert.DoesNotContain(logs.Entries, e => e.Message.Contains(target.ConnectionString, StringComparison.Ordinal)
                                                 || e.Message.Contains($":{password}@", StringComparison.Ordinal)
                                                 || e.Message.Contains($"Password={password}", StringComparison.OrdinalIgnoreCase));
    }
}
