using System.Text.Json;
using Npgsql;

namespace MentorStatus.Tests.Infrastructure;

/// <summary>
/// EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) of one statement, on the caller's connection (so in its transaction,
/// role and settings), read into the numbers the plan-cost tests assert on. Counts only, never time.
/// </summary>
public sealed class ExplainedPlan
{
    private ExplainedPlan(string json)
    {
        Json = json;
        using var document = JsonDocument.Parse(json);
        TopNode = document.RootElement[0].GetProperty("Plan").Clone();
    }

    /// <summary>The whole EXPLAIN output, for failure messages.</summary>
    public string Json { get; }

    /// <summary>The top plan node.</summary>
    public JsonElement TopNode { get; }

    /// <summary>Shared buffers the whole plan touched (hit + read).</summary>
    public long Buffers => TopNode.GetProperty("Shared Hit Blocks").GetInt64() + TopNode.GetProperty("Shared Read Blocks").GetInt64();

    /// <summary>Rows the top node returned.</summary>
    public long ActualRows => TopNode.GetProperty("Actual Rows").GetInt64();

    /// <summary>Every node of the plan, the top one first, depth first.</summary>
    public IEnumerable<JsonElement> Nodes => Walk(TopNode);

    /// <summary>Runs the statement under EXPLAIN ANALYZE (it is executed: writes happen) with positional parameters <paramref name="values"/>.</summary>
    public static async Task<ExplainedPlan> RunAsync(NpgsqlConnection connection, string sql, params object[] values)
    {
        await using var command = new NpgsqlCommand($"explain (analyze, buffers, format json) {sql}", connection);
        foreach (var value in values) command.Parameters.Add(new NpgsqlParameter { Value = value });
        return new ExplainedPlan((string)(await command.ExecuteScalarAsync())!);
    }

    private static IEnumerable<JsonElement> Walk(JsonElement node)
    {
        yield return node;
        if (!node.TryGetProperty("Plans", out var children)) yield break;
        foreach (var child in children.EnumerateArray())
            foreach (var descendant in Walk(child)) yield return descendant;
    }
}
