using MentorStatus.Database.Local;

namespace MentorStatus.Tests.Infrastructure;

/// <summary>
/// One real PostgreSQL 15 cluster per test run, in a temp folder on a free port, stopped and deleted
/// when the test process exits (also after failures). A run killed outright leaves its folder behind
/// with an owner file; the next run stops and deletes such leftovers first.
/// </summary>
public static class TestCluster
{
    private const string Prefix = "mentorstatus-tests-";
    private static readonly Lazy<Task<LocalCluster>> Instance = new(StartAsync);

    public static Task<LocalCluster> GetAsync() => Instance.Value;

    private static async Task<LocalCluster> StartAsync()
    {
        await RemoveLeftoversAsync();
        var directory = Path.Combine(Path.GetTempPath(), $"{Prefix}{Environment.ProcessId}-{Guid.NewGuid():N}"[..40]);
        Directory.CreateDirectory(directory);
        await File.WriteAllTextAsync(Path.Combine(directory, "owner.pid"), Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        var cluster = await LocalCluster.AtAsync(directory, new LocalClusterOptions
        {
            Port = FreePort(),
            // A throwaway cluster: durability buys nothing here and costs seconds.
            Settings = new Dictionary<string, string>
            {
                ["fsync"] = "off", ["synchronous_commit"] = "off", ["full_page_writes"] = "off", ["max_connections"] = "200",
            },
        });
        AppDomain.CurrentDomain.ProcessExit += (_, _) => cluster.DestroyAsync().GetAwaiter().GetResult();
        await cluster.StartAsync();
        return cluster;
    }

    /// <summary>A free port, from MENTORSTATUS_TEST_PORTS when set (<see cref="FreePorts"/>).</summary>
    public static int FreePort() => FreePorts.Next();

    private static async Task RemoveLeftoversAsync()
    {
        foreach (var dir in Directory.EnumerateDirectories(Path.GetTempPath(), Prefix + "*"))
        {
            // Only a folder whose owner file names a process that has ended is a leftover; a folder without one may be
            // another run's, created a moment ago (it writes the file right after), and is left alone.
            var ownerFile = Path.Combine(dir, "owner.pid");
            if (!File.Exists(ownerFile) || !int.TryParse(File.ReadAllText(ownerFile), out var pid) || File.Exists($"/proc/{pid}/cmdline"))
                continue;
            try
            {
                var leftover = await LocalCluster.AtAsync(dir, new LocalClusterOptions());
                await leftover.DestroyAsync();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or LocalDatabaseException)
            {
                // best effort: a leftover we cannot remove does not stop this run
            }
        }
    }
}
