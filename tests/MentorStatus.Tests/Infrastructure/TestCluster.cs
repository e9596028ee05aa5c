using MentorStatus.Tooling.Local;

namespace MentorStatus.Tests.Infrastructure;

/// <summary>
/// One real PostgreSQL 15 cluster per test run, in a private temp folder on a free port, stopped and deleted
/// when the test process exits (also after failures). The run never looks at other folders: a run killed outright
/// leaves its folder behind, and <c>scripts/test.sh</c>, which runs the suite with a temp folder of its own, stops
/// what is left in it and deletes it.
/// </summary>
public static class TestCluster
{
    private const string Prefix = "mentorstatus-tests-";
    private static readonly Lazy<Task<LocalCluster>> Instance = new(StartAsync);

    public static Task<LocalCluster> GetAsync() => Instance.Value;

    private static async Task<LocalCluster> StartAsync()
    {
        var directory = PrivateFiles.CreateUniqueFolder(Path.GetTempPath(), Prefix);
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
}
