using MentorStatus.Database;
using MentorStatus.Tooling.Local;
using MentorStatus.Database.Migrations;
using MentorStatus.Tests.Infrastructure;

namespace MentorStatus.Tests.Engine;

/// <summary>Every migration's rollback returns the schema to exactly what it was (pg_dump --schema-only).</summary>
public sealed class RoundTripTests
{
    private static async Task<string> SchemaAsync(DatabaseTarget target)
    {
        var cluster = await TestCluster.GetAsync();
        var dump = await System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(
            cluster.Installation.Tool("pg_dump"), ["--schema-only", "--no-owner", "--exclude-schema=supabase_migrations", "--dbname", target.Url])
        { RedirectStandardOutput = true, RedirectStandardError = true })!.StandardOutput.ReadToEndAsync();
        Assert.Contains("PostgreSQL database dump", dump);
        // pg_dump 15.14+ brackets the dump with \restrict KEY lines whose key is random on every run.
        return string.Join('\n', dump.Split('\n').Where(line => !line.StartsWith("\\restrict", StringComparison.Ordinal) && !line.StartsWith("\\unrestrict", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task EachMigrationUpThenDownLeavesTheSchemaAsItWas()
    {
        var target = await TestDatabases.PlatformAsync("roundtrip");
        await using var data = target.CreateDataSource();
        var source = new MigrationSource(TestDatabases.Project);
        var migrations = source.LoadMigrations();
        var runner = new MigrationRunner(data, source);

        // Apply one at a time; after each, down then up again must be the identity on the schema.
        using var project = new TempProject();
        foreach (var migration in migrations)
        {
            var before = await SchemaAsync(target);
            var file = Directory.GetFiles(TestDatabases.Project.MigrationsDirectory, $"{migration.Version}_*.sql").Single();
            File.Copy(file, Path.Combine(project.Layout.MigrationsDirectory, Path.GetFileName(file)));
            File.Copy(source.FindRollbackPath(migration.Version)!, Path.Combine(project.Layout.RollbacksDirectory, Path.GetFileName(file)));
            var stepRunner = new MigrationRunner(data, new MigrationSource(project.Layout));
            await stepRunner.UpAsync();
            var after = await SchemaAsync(target);
            Assert.NotEqual(before, after);
            await stepRunner.DownAsync(1);
            Assert.Equal(before, await SchemaAsync(target));
            await stepRunner.UpAsync();
            Assert.Equal(after, await SchemaAsync(target));
        }

        // And all of them down at once, newest first.
        await runner.DownAsync(migrations.Count);
        var empty = await TestDatabases.PlatformAsync("roundtrip_empty");
        Assert.Equal(
            (await SchemaAsync(empty)).Replace(empty.Database, "DB"),
            (await SchemaAsync(target)).Replace(target.Database, "DB"));
    }

    [Fact]
    public async Task EveryMigrationHasARollbackAndNoRollbackSitsWhereTheCliWouldRunIt()
    {
        var source = new MigrationSource(TestDatabases.Project);
        foreach (var migration in source.LoadMigrations())
            Assert.True(source.FindRollbackPath(migration.Version) is not null, $"{migration.DisplayPath} has no rollback");
        Assert.DoesNotContain(Directory.GetFiles(TestDatabases.Project.MigrationsDirectory),
            f => Path.GetFileName(f).Contains(".down.") || Path.GetFileName(f).Contains("rollback"));
        await Task.CompletedTask;
    }
}
