using MentorStatus.Database.Migrations;
using Npgsql;

namespace MentorStatus.Database.Lint;

/// <summary>A relation lock our backend holds after a statement.</summary>
public sealed record HeldLock(uint Relation, string Mode)
{
    public bool IsAccessExclusive => Mode == "AccessExclusiveLock";
}

/// <summary>A table named by an UPDATE, DELETE or TRUNCATE, resolved in the replay session before it ran.</summary>
public sealed record ModifiedTable(string Verb, string Name, uint? Oid);

/// <summary>What one statement did when it was replayed, or why it was not.</summary>
public sealed class TraceStep
{
    public required SqlStatement Statement { get; init; }
    /// <summary>Set when the statement cannot run in a transaction: it got static checks only.</summary>
    public string? StaticOnlyReason { get; init; }
    public bool Traced => StaticOnlyReason is null && Before is not null && After is not null;
    /// <summary>lock_timeout in effect when the statement started ("0" = wait forever).</summary>
    public string? LockTimeout { get; init; }
    public CatalogState? Before { get; init; }
    public CatalogState? After { get; set; }
    /// <summary>Locks on relations that existed before the migration, first taken by this statement.</summary>
    public IReadOnlyList<HeldLock> NewLocks { get; set; } = [];
    public IReadOnlyList<ModifiedTable> ModifiedTables { get; init; } = [];
    public PostgresException? Error { get; set; }
}

/// <summary>One migration replayed: the catalog before it, each statement, and the catalog after.</summary>
public sealed class MigrationTrace
{
    public required LintInput Migration { get; init; }
    public required CatalogState Baseline { get; init; }
    public required IReadOnlyList<TraceStep> Steps { get; init; }
    public List<string> Notes { get; } = [];
    public bool Failed => Steps.Any(s => s.Error is not null);
    public CatalogState Final => Steps.LastOrDefault(s => s.After is not null)?.After ?? Baseline;
    public bool Existed(uint relation) => Baseline.Relations.ContainsKey(relation);
}

/// <summary>
/// Replays a migration on a throwaway database statement by statement inside one transaction (as the
/// runner applies it), and after each statement reads the locks our backend holds on relations that
/// existed before the migration and the catalog. Non-transactional statements run outside any
/// transaction and get static checks only: their locks and catalog steps cannot be observed.
/// </summary>
internal sealed class StatementTracer(NpgsqlConnection connection, TimeSpan? runnerLockTimeout)
{
    private const string SelectLocks = """
        select l.relation, l.mode from pg_locks l
        where l.pid = pg_backend_pid() and l.locktype = 'relation' and l.granted and l.database = (select oid from pg_database where datname = current_database())
        """;
    private const string SelectLockTimeout = "select current_setting('lock_timeout')";
    private const string ResolveTable = "select to_regclass($1)::oid";

    /// <summary>Applies the migration; with <paramref name="trace"/> false it only applies it (an earlier migration that is not linted).</summary>
    public async Task<MigrationTrace> RunAsync(LintInput migration, bool trace, CancellationToken ct)
    {
        await ResetSessionAsync(ct);
        var baseline = await CatalogState.ReadAsync(connection, ct);
        var steps = new List<TraceStep>();
        var result = new MigrationTrace { Migration = migration, Baseline = baseline, Steps = steps };

        if (migration.IsNonTransactional)
        {
            var statement = migration.Statements[0];
            var step = new TraceStep { Statement = statement, StaticOnlyReason = StaticOnly(statement, alone: true) };
            steps.Add(step);
            try
            {
                await ExecuteAsync(statement.Text, ct);
            }
            catch (PostgresException e)
            {
                step.Error = e;
            }
            result.Notes.Add($"{migration.DisplayPath}:{statement.Line}: {step.StaticOnlyReason}");
            return result;
        }

        await using var transaction = await connection.BeginTransactionAsync(ct);
        var held = new HashSet<HeldLock>();
        var current = baseline;
        foreach (var statement in migration.Statements)
        {
            if (NonTransactionalStatement.Matches(statement))
            {
                var reason = StaticOnly(statement, alone: false);
                steps.Add(new TraceStep { Statement = statement, StaticOnlyReason = reason });
                result.Notes.Add($"{migration.DisplayPath}:{statement.Line}: {reason}");
                continue;
            }
            var step = trace
                ? new TraceStep
                {
                    Statement = statement,
                    Before = current,
                    LockTimeout = await ScalarAsync<string>(SelectLockTimeout, ct),
                    ModifiedTables = await ResolveAsync(AppendOnlyRules.ModifiedTables(statement), ct),
                }
                : new TraceStep { Statement = statement, StaticOnlyReason = "not linted" };
            steps.Add(step);
            try
            {
                await ExecuteAsync(statement.Text, ct);
            }
            catch (PostgresException e)
            {
                step.Error = e;
                await transaction.RollbackAsync(CancellationToken.None);
                return result;
            }
            if (!trace) continue;
            var locks = await LocksAsync(baseline, ct);
            step.NewLocks = locks.Where(held.Add).ToList();
            current = step.After = await CatalogState.ReadAsync(connection, ct);
        }
        await transaction.CommitAsync(ct);
        return result;
    }

    /// <summary>Applies a rollback script as the runner would: one transaction, or alone outside one.</summary>
    public async Task ApplyScriptAsync(MigrationFile file, CancellationToken ct)
    {
        await ResetSessionAsync(ct);
        if (file.IsNonTransactional)
        {
            await ExecuteAsync(file.Statements[0].Text, ct);
            return;
        }
        await using var transaction = await connection.BeginTransactionAsync(ct);
        foreach (var statement in file.Statements) await ExecuteAsync(statement.Text, ct);
        await transaction.CommitAsync(ct);
    }

    private static string StaticOnly(SqlStatement statement, bool alone) =>
        $"statement {statement.Number} ({NonTransactionalStatement.Describe(statement)}) cannot run in a transaction: checked statically only, " +
        (alone ? "without lock or catalog tracing" : "and not replayed (the file mixes it with other statements)");

    /// <summary>Like the runner: a clean session, and its lock_timeout when the lint counts it.</summary>
    private async Task ResetSessionAsync(CancellationToken ct)
    {
        await ExecuteAsync("reset all", ct);
        if (runnerLockTimeout is { } timeout)
            await ExecuteAsync($"set lock_timeout = {(long)timeout.TotalMilliseconds}", ct);
    }

    private async Task<List<HeldLock>> LocksAsync(CatalogState baseline, CancellationToken ct)
    {
        var locks = new List<HeldLock>();
        await using var command = new NpgsqlCommand(SelectLocks, connection);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var relation = reader.GetFieldValue<uint>(0);
            if (baseline.Relations.ContainsKey(relation)) locks.Add(new HeldLock(relation, reader.GetString(1)));
        }
        return locks;
    }

    private async Task<IReadOnlyList<ModifiedTable>> ResolveAsync(IReadOnlyList<(string Verb, string Name)> tables, CancellationToken ct)
    {
        var resolved = new List<ModifiedTable>();
        foreach (var (verb, name) in tables)
            resolved.Add(new ModifiedTable(verb, name, await ScalarAsync<uint?>(ResolveTable, ct, name)));
        return resolved;
    }

    private async Task ExecuteAsync(string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
        await command.ExecuteNonQueryAsync(ct);
    }

    private async Task<T> ScalarAsync<T>(string sql, CancellationToken ct, params object[] values)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var value in values) command.Parameters.Add(new NpgsqlParameter { Value = value });
        var result = await command.ExecuteScalarAsync(ct);
        return result is DBNull or null ? default! : (T)result;
    }
}
