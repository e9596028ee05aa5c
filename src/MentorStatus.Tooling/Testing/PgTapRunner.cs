using System.Diagnostics;
using System.Text.RegularExpressions;
using MentorStatus.Database.Migrations;
using MentorStatus.Database;
using Npgsql;

namespace MentorStatus.Tooling.Testing;

/// <summary>The outcome of one pgTAP file.</summary>
public sealed record PgTapFileResult(string File, int Planned, int Passed, IReadOnlyList<string> Failures, string? Error, TimeSpan Duration)
{
    public int Ran => Passed + Failures.Count;
    public bool Ok => Error is null && Failures.Count == 0 && Planned > 0 && Ran == Planned;

    public string Summary => Error is not null ? $"error: {Error}"
        : Planned == 0 ? "no plan: the file never called plan(N)"
        : Ran != Planned ? $"planned {Planned} but ran {Ran}"
        : Failures.Count > 0 ? $"{Failures.Count} of {Planned} failed" : $"{Passed}/{Planned} passed";
}

/// <summary>
/// Runs pgTAP files the way `supabase test db` (pg_prove) does, but over Npgsql: each file's statements
/// on one connection, the TAP lines read from the result rows. Nothing else is needed on the machine
/// but the pgtap extension on the server.
/// </summary>
public static partial class PgTapRunner
{
    [GeneratedRegex(@"^1\.\.(\d+)")]
    private static partial Regex PlanLine();

    [GeneratedRegex(@"^(not )?ok \d+")]
    private static partial Regex TestLine();

    private const string PgTapAvailable = "select exists (select 1 from pg_available_extensions where name = 'pgtap')";

    public static IReadOnlyList<string> Discover(ProjectLayout layout) =>
        Directory.Exists(layout.TestsDirectory)
            ? Directory.EnumerateFiles(layout.TestsDirectory, "*.sql", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList()
            : [];

    public static async Task EnsureAvailableAsync(NpgsqlDataSource dataSource, CancellationToken ct = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var command = new NpgsqlCommand(PgTapAvailable, connection);
        if (!(bool)(await command.ExecuteScalarAsync(ct))!)
            throw new PgTapNotInstalledException(
                "the pgtap extension is not installed on this PostgreSQL server; fix: `apt-get install postgresql-15-pgtap` (Supabase has it already).");
    }

    public static async Task<PgTapFileResult> RunFileAsync(NpgsqlDataSource dataSource, string path, string displayPath, CancellationToken ct = default)
    {
        var clock = Stopwatch.StartNew();
        var lines = new List<string>();
        string? error = null;
        await using (var connection = await dataSource.OpenConnectionAsync(ct))
        {
            IReadOnlyList<SqlStatement> statements;
            try
            {
                statements = SqlScript.Split(await File.ReadAllTextAsync(path, ct));
            }
            catch (SqlSyntaxException e)
            {
                return new PgTapFileResult(displayPath, 0, 0, [], e.Message, clock.Elapsed);
            }
            foreach (var statement in statements)
            {
                try
                {
                    await using var command = new NpgsqlCommand(statement.Text, connection) { CommandTimeout = 0 };
                    await using var reader = await command.ExecuteReaderAsync(ct);
                    do
                    {
                        while (await reader.ReadAsync(ct))
                            if (reader.FieldCount == 1 && !reader.IsDBNull(0) && reader.GetValue(0) is string text)
                                lines.AddRange(text.Split('\n'));
                    } while (await reader.NextResultAsync(ct));
                }
                catch (PostgresException e)
                {
                    var line = e.Position > 0 ? statement.LineOfPosition(e.Position) : statement.Line;
                    error = $"{displayPath}:{line}: statement {statement.Number} failed with SQLSTATE {e.SqlState}: {e.MessageText}";
                    break;
                }
            }
            if (error is not null)
            {
                await using var rollback = new NpgsqlCommand("rollback", connection);
                await rollback.ExecuteNonQueryAsync(CancellationToken.None);
            }
        }
        return Parse(displayPath, lines, error, clock.Elapsed);
    }

    internal static PgTapFileResult Parse(string file, IEnumerable<string> lines, string? error, TimeSpan duration)
    {
        var planned = 0;
        var passed = 0;
        var failures = new List<string>();
        string? lastFailure = null;
        foreach (var line in lines)
        {
            if (PlanLine().Match(line) is { Success: true } plan) planned = int.Parse(plan.Groups[1].Value, CultureInfo.InvariantCulture);
            else if (TestLine().IsMatch(line))
            {
                if (line.StartsWith("not ok", StringComparison.Ordinal) && !line.Contains("# TODO")) { failures.Add(line); lastFailure = line; }
                else { passed++; lastFailure = null; }
            }
            else if (line.StartsWith('#') && lastFailure is not null)
                failures[^1] += "\n    " + line; // pgTAP's diagnostics for the failure just above
        }
        return new PgTapFileResult(file, planned, passed, failures, error, duration);
    }
}

/// <summary>The server has no pgTAP; the message says how to install it.</summary>
public sealed class PgTapNotInstalledException(string message) : MentorStatusException(message);
