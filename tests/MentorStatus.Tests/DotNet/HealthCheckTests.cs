using MentorStatus.Health;
using MentorStatus.Tests.Infrastructure;
using MentorStatus.Tests.Library;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace MentorStatus.Tests.DotNet;

/// <summary>The five mentor-status health checks against healthy and broken real databases.</summary>
public sealed class HealthCheckTests
{
    private static async Task<HealthReport> CheckAsync(string connectionString, IDictionary<string, string?>? settings = null)
    {
        await using var provider = MentorStatusHost.Build(connectionString, settings: settings);
        return await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync();
    }

    private static void AssertOnlyUnhealthy(HealthReport report, string check, string messagePart)
    {
        Assert.Equal(HealthStatus.Unhealthy, report.Status);
        var entry = report.Entries[check];
        Assert.Equal(HealthStatus.Unhealthy, entry.Status);
        Assert.Contains(messagePart, entry.Description);
        Assert.All(report.Entries.Where(e => e.Key != check), e => Assert.Equal(HealthStatus.Healthy, e.Value.Status));
    }

    [Fact]
    public async Task SeededDatabase_IsHealthyOnEveryCheck()
    {
        var target = await TestDatabases.SeededAsync("health_ok");
        var report = await CheckAsync(target.ConnectionString);
        Assert.Equal(5, report.Entries.Count);
        Assert.All(report.Entries, e => Assert.True(e.Value.Status == HealthStatus.Healthy, $"{e.Key}: {e.Value.Description}"));
        Assert.All(report.Entries, e => Assert.Contains(MentorStatusHealthChecksBuilderExtensions.Tag, e.Value.Tags));
    }

    [Fact]
    public async Task UnreachableDatabase_IsUnhealthy()
    {
        var report = await CheckAsync($"Host=127.0.0.1;Port={TestCluster.FreePort()};Username=postgres;Password=postgres;Timeout=2");
        Assert.Equal(HealthStatus.Unhealthy, report.Entries[DatabaseReachableCheck.Name].Status);
        Assert.Contains("cannot reach the database", report.Entries[DatabaseReachableCheck.Name].Description);
    }

    [Fact]
    public async Task PendingAndDriftedMigrations_AreUnhealthy()
    {
        var target = await TestDatabases.MigratedAsync("health_migrations");
        await using var dataSource = target.CreateDataSource();
        var versions = await dataSource.ColumnAsync("select version from supabase_migrations.schema_migrations order by version");
        // the newest is forgotten by the journal (pending), the oldest has other statements recorded (drift)
        await dataSource.ExecuteAsync("delete from supabase_migrations.schema_migrations where version = $1", versions[^1]);
        await dataSource.ExecuteAsync("update supabase_migrations.schema_migrations set statements = array['select 1'] where version = $1", versions[0]);

        var report = await CheckAsync(target.ConnectionString);

        var entry = report.Entries[MigrationsCheck.Name];
        Assert.Equal(HealthStatus.Unhealthy, entry.Status);
        Assert.Contains($"1 pending ({versions[^1]})", entry.Description);
        Assert.Contains($"drifted since applied: {versions[0]}", entry.Description);
        Assert.Equal(new[] { versions[^1] }, (IEnumerable<string>)entry.Data["pending"]);
    }

    [Fact]
    public async Task InvalidIndex_IsUnhealthy_AndNamed()
    {
        var target = await TestDatabases.SeededAsync("health_index");
        await using var dataSource = target.CreateDataSource();
        await dataSource.ExecuteAsync("create table public.health_probe (x integer); insert into public.health_probe values (1), (1)");
        // A failed concurrent build leaves its index behind, INVALID.
        await Assert.ThrowsAsync<PostgresException>(() => dataSource.ExecuteAsync("create unique index concurrently health_probe_x on public.health_probe (x)"));

        AssertOnlyUnhealthy(await CheckAsync(target.ConnectionString), InvalidIndexCheck.Name, "public.health_probe_x");
    }

    [Fact]
    public async Task ReasonCodeAddedOnlyInTheDatabase_IsUnhealthy()
    {
        var target = await TestDatabases.SeededAsync("health_schema");
        await using var dataSource = target.CreateDataSource();
        await dataSource.ExecuteAsync(
            "insert into public.mentor_status_reason_codes (code, actor_kind, description) values ('moved_away', 'coordinator', 'x')");

        AssertOnlyUnhealthy(await CheckAsync(target.ConnectionString), SchemaInSyncCheck.Name, "moved_away");
    }

    [Fact]
    public async Task OutboxWithAnOldDueNotification_IsUnhealthy_AFreshOneIsNot()
    {
        await using var db = await LibraryDatabase.CreateAsync("health_outbox");
        var org = await db.OrganisationAsync();
        var chapter = await db.ChapterAsync(org);
        await db.CoordinatorAsync([chapter]);
        await db.MentorAsync(org, [chapter], -1);
        await new CertificationExpiryJob(db.DataSource).RunAsync();
        var settings = new Dictionary<string, string?> { ["MentorStatus:Health:OutboxStuckAfter"] = "00:30:00" };

        var fresh = await CheckAsync(db.ConnectionString, settings);
        Assert.Equal(HealthStatus.Healthy, fresh.Entries[OutboxNotStuckCheck.Name].Status);
        Assert.Equal(1, fresh.Entries[OutboxNotStuckCheck.Name].Data["due"]);

        await db.DataSource.ExecuteAsync("update public.coordinator_notifications set next_attempt_at = now() - interval '2 hours'");
        AssertOnlyUnhealthy(await CheckAsync(db.ConnectionString, settings), OutboxNotStuckCheck.Name, "the outbox is stuck: 1 notification(s) due");
    }
}
