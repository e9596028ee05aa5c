using MentorStatus.Database;
using MentorStatus.Database.Migrations;
using MentorStatus.Database.Platform;
using Npgsql;

namespace MentorStatus.Tests.Infrastructure;

/// <summary>
/// Fresh databases for tests, cloned in milliseconds from templates built once per run:
/// empty, with the platform layer, with every migration, and with the seed on top.
/// </summary>
public static class TestDatabases
{
    private static readonly Lazy<Task<string>> PlatformTemplate = new(() => BuildTemplateAsync("tpl_platform", migrate: false, seed: false));
    private static readonly Lazy<Task<string>> MigratedTemplate = new(() => BuildTemplateAsync("tpl_migrated", migrate: true, seed: false));
    private static readonly Lazy<Task<string>> SeededTemplate = new(() => BuildTemplateAsync("tpl_seeded", migrate: true, seed: true));
    private static int _counter;

    /// <summary>The repository's own project (supabase/ at the root of the checkout).</summary>
    public static ProjectLayout Project { get; } = ProjectLayout.Find(AppContext.BaseDirectory);

    public static async Task<DatabaseTarget> EmptyAsync(string purpose) => await CreateAsync(purpose, "template0");
    public static async Task<DatabaseTarget> PlatformAsync(string purpose) => await CreateAsync(purpose, await PlatformTemplate.Value);
    public static async Task<DatabaseTarget> MigratedAsync(string purpose) => await CreateAsync(purpose, await MigratedTemplate.Value);
    public static async Task<DatabaseTarget> SeededAsync(string purpose) => await CreateAsync(purpose, await SeededTemplate.Value);

    public static async Task<DatabaseTarget> CreateAsync(string purpose, string template)
    {
        var cluster = await TestCluster.GetAsync();
        var name = $"t{Interlocked.Increment(ref _counter)}_{new string(purpose.ToLowerInvariant().Where(char.IsLetterOrDigit).Take(40).ToArray())}";
        await using var admin = cluster.Target().CreateDataSource();
        await using var command = admin.CreateCommand($"create database \"{name}\" template \"{template}\"");
        await command.ExecuteNonQueryAsync();
        return cluster.Target(name);
    }

    private static async Task<string> BuildTemplateAsync(string name, bool migrate, bool seed)
    {
        var cluster = await TestCluster.GetAsync();
        var source = migrate ? await PlatformTemplate.Value : "template0";
        if (!migrate)
        {
            await using var admin = cluster.Target().CreateDataSource();
            await using var create = admin.CreateCommand($"create database \"{name}\" template template0");
            await create.ExecuteNonQueryAsync();
            await using var dataSource = cluster.Target(name).CreateDataSource();
            await SupabasePlatformLayer.EnsureAsync(dataSource);
        }
        else
        {
            await using (var admin = cluster.Target().CreateDataSource())
            await using (var create = admin.CreateCommand($"create database \"{name}\" template \"{source}\""))
                await create.ExecuteNonQueryAsync();
            await using var dataSource = cluster.Target(name).CreateDataSource();
            var runner = new MigrationRunner(dataSource, new MigrationSource(Project));
            await runner.UpAsync();
            if (seed) await runner.SeedAsync();
        }
        NpgsqlConnection.ClearAllPools(); // a template must have no open connection when it is cloned
        return name;
    }
}
