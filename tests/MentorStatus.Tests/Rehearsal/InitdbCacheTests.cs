using System.Text.Json.Nodes;
using MentorStatus.Rehearsal;
using Npgsql;

namespace MentorStatus.Tests.Rehearsal;

/// <summary>
/// The throwaway cluster's initdb cache with real initdb and real servers: built on first use, copied after,
/// rebuilt when an entry is damaged or made by another server version, safe when two rehearsals fill it at once.
/// </summary>
public sealed class InitdbCacheTests
{
    [Fact]
    public async Task TheFirstClusterFillsTheCacheAndTheNextOneIsCopiedFromIt()
    {
        using var work = new WorkFolder();
        var cache = new InitdbCache(work.InitdbCache);

        var first = await StartAsync(work, cache);
        Assert.Contains(RehearsalPhases.Initdb, first);
        var entry = Assert.Single(work.InitdbCacheEntries());
        Assert.StartsWith("pg15-initdb-15.", entry);

        var second = await StartAsync(work, cache);
        Assert.Contains(RehearsalPhases.InitdbFromCache, second);
        Assert.DoesNotContain(RehearsalPhases.Initdb, second);
        Assert.Equal([entry], work.InitdbCacheEntries());
        Assert.Empty(work.InitdbCacheLeftovers());
        Assert.Empty(work.Leftovers());
    }

    [Theory]
    [InlineData("a missing file")]
    [InlineData("a truncated file")]
    [InlineData("another server version")]
    [InlineData("no manifest")]
    public async Task ADamagedEntryIsDiscardedAndRebuilt(string damage)
    {
        using var work = new WorkFolder();
        var cache = new InitdbCache(work.InitdbCache);
        await StartAsync(work, cache);
        var entry = Path.Combine(work.InitdbCache, Assert.Single(work.InitdbCacheEntries()));
        var manifest = Path.Combine(entry, "manifest.json");
        switch (damage)
        {
            case "a missing file": File.Delete(Path.Combine(entry, "data", "global", "pg_control")); break;
            case "a truncated file": File.WriteAllBytes(Path.Combine(entry, "data", "global", "pg_control"), [1, 2, 3]); break;
            case "another server version":
                var json = JsonNode.Parse(File.ReadAllText(manifest))!;
                json["ServerVersion"] = "postgres (PostgreSQL) 15.0";
                File.WriteAllText(manifest, json.ToJsonString());
                break;
            default: File.Delete(manifest); break;
        }

        var next = await StartAsync(work, cache);
        Assert.Contains(RehearsalPhases.Initdb, next); // not the damaged copy
        Assert.DoesNotContain(RehearsalPhases.InitdbFromCache, next);
        var rebuilt = Path.Combine(work.InitdbCache, Assert.Single(work.InitdbCacheEntries()));
        Assert.Equal(entry, rebuilt);
        Assert.True(File.Exists(Path.Combine(rebuilt, "manifest.json")) && new FileInfo(Path.Combine(rebuilt, "data", "global", "pg_control")).Length == 8192);
        Assert.Contains(RehearsalPhases.InitdbFromCache, await StartAsync(work, cache)); // and used again
        Assert.Empty(work.InitdbCacheLeftovers());
        Assert.Empty(work.Leftovers());
    }

    /// <summary>Damage the manifest cannot see (pg_control's bytes, same size): the server refuses to start, the entry goes, initdb runs.</summary>
    [Fact]
    public async Task AnEntryTheServerRefusesIsDiscardedAndTheClusterMadeWithInitdb()
    {
        using var work = new WorkFolder();
        var cache = new InitdbCache(work.InitdbCache);
        await StartAsync(work, cache);
        var entry = Path.Combine(work.InitdbCache, Assert.Single(work.InitdbCacheEntries()));
        File.WriteAllBytes(Path.Combine(entry, "data", "global", "pg_control"), new byte[8192]);

        var next = await StartAsync(work, cache);
        Assert.Equal([RehearsalPhases.InitdbFromCache, RehearsalPhases.Initdb, RehearsalPhases.Start], next);
        Assert.Empty(work.InitdbCacheEntries()); // the next rehearsal builds a good one
        Assert.Empty(work.InitdbCacheLeftovers());
        Assert.Contains(RehearsalPhases.Initdb, await StartAsync(work, cache));
        Assert.Single(work.InitdbCacheEntries());
        Assert.Empty(work.Leftovers());
    }

    [Fact]
    public async Task TwoRehearsalsFillingAnEmptyCacheAtOnceLeaveOneWholeEntry()
    {
        using var work = new WorkFolder();
        var cache = new InitdbCache(work.InitdbCache);
        var both = await Task.WhenAll(StartAsync(work, cache), StartAsync(work, cache));
        Assert.All(both, phases => Assert.Contains(RehearsalPhases.Initdb, phases));
        Assert.Single(work.InitdbCacheEntries());
        Assert.Empty(work.InitdbCacheLeftovers());
        var again = await Task.WhenAll(StartAsync(work, cache), StartAsync(work, cache));
        Assert.All(again, phases => Assert.Contains(RehearsalPhases.InitdbFromCache, phases));
        Assert.Empty(work.Leftovers());
    }

    /// <summary>Creates, starts (a query must answer) and deletes one throwaway cluster; the phases its start went through.</summary>
    private static async Task<IReadOnlyList<string>> StartAsync(WorkFolder work, InitdbCache cache)
    {
        var clock = new PhaseClock();
        var cluster = await ThrowawayCluster.CreateAsync(work.Path, CancellationToken.None);
        try
        {
            await cluster.StartAsync(cache, clock, CancellationToken.None);
            await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(cluster.Target("postgres").ConnectionString) { Pooling = false }.ConnectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("show fsync", connection);
            Assert.Equal("off", await command.ExecuteScalarAsync()); // the load settings took
        }
        finally
        {
            await cluster.DestroyAsync();
        }
        return clock.Phases.Select(p => p.Phase).ToList();
    }
}
