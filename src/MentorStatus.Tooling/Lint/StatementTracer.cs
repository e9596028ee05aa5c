using MentorStatus.Database.Migrations;
using MentorStatus.Database;
using MentorStatus.Tooling.Platform;
using Npgsql;

namespace MentorStatus.Tooling.Lint;

/// <summary>A relation lock our backend holds after a statement.</summary>
public sealed record HeldLock(uint Relation, string Mode)
{
    public bool IsAccessExclusive => Mode == "AccessExclusiveLock";
}

/// <summary>A table named by an UPDATE, DELETE or TRUNCATE, resolved in the replay session before it ran.</summary>
/// <param name="EveryRow">No WHERE (or a whole-table backfill's WHERE): every row is changed or erased.</param>
/// <param name="Cascade">TRUNCATE … CASCADE.</param>
public sealed record ModifiedTable(string Verb, string Name, uint? Oid, bool EveryRow = false, bool Cascade = false);

/// <summary>What one statement did when it was replayed, or why it was not.</summary>
public sealed class TraceStep
{
    public required SqlStatement Statement { get; init; }
    /// <summary>Set when the statement cannot run in a transaction (or controls it): it got static checks only.</summary>
    public string? StaticOnlyReason { get; init; }
    /// <summary>BEGIN, COMMIT and the like: not replayed, the runner owns the transaction (MS026).</summary>
    public bool IsTransactionControl { get; init; }
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
    /// <summary>The schemas PostgREST serves, from the project's settings.</summary>
    public IReadOnlySet<string> ExposedSchemas { get; init; } = new HashSet<string> { "public" };
    /// <summary>How the project deploys (settings), for findings that say what the deploy does with the file.</summary>
    public DeployTool Deploy { get; set; } = DeployTool.SupabaseDbPush;
    public bool Failed => Steps.Any(s => s.Error is not null);
    public CatalogState Final => Steps.LastOrDefault(s => s.After is not null)?.After ?? Baseline;
    public bool Existed(uint relation) => Baseline.Relations.ContainsKey(relation);

    /// <summary>The tables and views of <paramref name="state"/> that existed before the migration (what MS007 and MS008 guard).</summary>
    public IEnumerable<RelationInfo> ExistingTablesAndViews(CatalogState state) =>
        state.Relations.Values.Where(r => r.Kind is 'r' or 'p' or 'v' or 'm' or 'f' && Existed(r.Oid));

    /// <summary>The columns of <paramref name="before"/> that existed before the migration, of tables still there in
    /// <paramref name="after"/> (a dropped table is reported once, as a table).</summary>
    public IEnumerable<ColumnInfo> ExistingColumnsOfKeptTables(CatalogState before, CatalogState after) =>
        before.Columns.Values.Where(c => Existed(c.Table) && Baseline.Columns.ContainsKey((c.Table, c.Number)) && after.Relations.ContainsKey(c.Table));
}

/// <summary>
/// Replays a migration on a throwaway database statement by statement inside one transaction (as the
/// runner applies it), and after each statement reads the locks our backend holds on relations that
/// existed before the migration and the catalog. Non-transactional statements run outside any
/// transaction and get static checks only: their locks and catalog steps cannot be observed.
/// Each statement runs under a savepoint: one that fails is recorded (MS000) and rolled back alone, and the
/// rest of the file still replays, so one missing function does not hide every other finding. BEGIN/COMMIT
/// in the file are recorded, not run (the runner refuses such a file; running them would end our transaction).
/// The lint's own queries are immune to what a file sets or does: the file's statement and session timeouts are
/// recorded, not applied (they would cancel the lint's catalog reads), and a statement that ends the session
/// (pg_terminate_backend of our own backend) is a finding, after which a new session replays the file's earlier
/// statements again and the rest of the file is linted.
/// </summary>
internal sealed partial class StatementTracer(NpgsqlConnection connection, TimeSpan? runnerLockTimeout, IReadOnlySet<string>? exposedSchemas = null,
    Func<CancellationToken, Task<NpgsqlConnection>>? reopen = null, LintPhaseTimes? times = null) : IAsyncDisposable
{
    /// <summary>As on Supabase, where the postgres role's search_path lists extensions (pgcrypto, uuid-ossp live there).</summary>
    private const string SupabaseSearchPath = "set search_path = \"$user\", public, extensions";

    /// <summary>Timeouts of the deploy session: applied, they would cancel the lint's own reads between two statements.</summary>
    [System.Text.RegularExpressions.GeneratedRegex(@"^(?:set (?:session |local )?|reset )(?<name>statement_timeout|idle_in_transaction_session_timeout|idle_session_timeout)\b")]
    private static partial System.Text.RegularExpressions.Regex SessionTimeout();

    private readonly IReadOnlySet<string> _exposed = exposedSchemas ?? new HashSet<string> { "public" };
    private readonly LintPhaseTimes _times = times ?? new LintPhaseTimes();
    private readonly List<NpgsqlConnection> _opened = [];
    private NpgsqlConnection _connection = connection;
    private NpgsqlTransaction? _transaction;

    // Ordered (relation by age, then mode by strength) so that a finding naming several locks reads the same on every run:
    // pg_locks lists them in the order of the lock manager's hash table, which depends on the OIDs of that run.
    private const string SelectLocks = """
        select l.relation, l.mode from pg_locks l
        where l.pid = pg_backend_pid() and l.locktype = 'relation' and l.granted and l.database = (select oid from pg_database where datname = current_database())
        order by l.relation, array_position(array['AccessShareLock', 'RowShareLock', 'RowExclusiveLock', 'ShareUpdateExclusiveLock',
                                                  'ShareLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock'], l.mode)
        """;

    /// <summary>
    /// The lock_timeout the next statement starts with; the catalog rows this transaction has written so far, by catalog
    /// table (pg_stat_xact_all_tables on pg_catalog, "pg_class=3,pg_type=2"); and the settings that change how the catalog
    /// reads print names and expressions. When no count has moved, the statement changed nothing the catalog reads see and
    /// the previous catalog state is reused; when some have, only the parts that read those catalogs are read again (all of
    /// them when the settings changed since the last read).
    /// </summary>
    private const string SelectSessionState = """
        select current_setting('lock_timeout'),
               (select coalesce(string_agg(relname || '=' || (n_tup_ins + n_tup_upd + n_tup_del), ',' order by relname), '')
                from pg_stat_xact_all_tables where schemaname = 'pg_catalog' and n_tup_ins + n_tup_upd + n_tup_del > 0),
               concat_ws('|', current_setting('search_path'), current_setting('DateStyle'), current_setting('IntervalStyle'),
                         current_setting('TimeZone'), current_setting('extra_float_digits'), current_setting('quote_all_identifiers'),
                         current_setting('bytea_output'), current_setting('standard_conforming_strings'), current_setting('lc_monetary'))
        """;
    private const string ResolveTable = "select to_regclass($1)::oid";

    /// <summary>Applies the migration; with <paramref name="trace"/> false it only applies it (an earlier migration that is not linted).</summary>
    public async Task<MigrationTrace> RunAsync(LintInput migration, bool trace, CancellationToken ct)
    {
        // Replay time is the run's wall time less the catalog reads within it.
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var catalogBefore = _times.CatalogReads;
        try
        {
            return await RunCoreAsync(migration, trace, ct);
        }
        finally
        {
            _times.AddReplay(System.Diagnostics.Stopwatch.GetElapsedTime(started) - (_times.CatalogReads - catalogBefore));
        }
    }

    private async Task<MigrationTrace> RunCoreAsync(LintInput migration, bool trace, CancellationToken ct)
    {
        await ResetSessionAsync(ct);
        var baseline = await ReadCatalogAsync(ct);
        var steps = new List<TraceStep>();
        var result = new MigrationTrace { Migration = migration, Baseline = baseline, Steps = steps, ExposedSchemas = _exposed };

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
                if (IsBroken) await ReopenAsync(ct);
            }
            AfterStatement(statement);
            result.Notes.Add($"{migration.DisplayPath}:{statement.Line}: {step.StaticOnlyReason}");
            return result;
        }

        _transaction = await _connection.BeginTransactionAsync(ct);
        var held = new HashSet<HeldLock>();
        var current = baseline;
        var (lockTimeout, catalogWrites, settingsRead) = await SessionStateAsync(ct);
        var replayed = new List<SqlStatement>();
        foreach (var statement in migration.Statements)
        {
            if (NonTransactionalStatement.IsTransactionControl(statement))
            {
                steps.Add(new TraceStep
                {
                    Statement = statement, IsTransactionControl = true,
                    StaticOnlyReason = $"statement {statement.Number} controls the transaction: not replayed (the runner owns the transaction)",
                });
                continue;
            }
            if (NonTransactionalStatement.Matches(statement))
            {
                var reason = StaticOnly(statement, alone: false);
                steps.Add(new TraceStep { Statement = statement, StaticOnlyReason = reason });
                result.Notes.Add($"{migration.DisplayPath}:{statement.Line}: {reason}");
                continue;
            }
            if (SessionTimeout().Match(statement.Normalized) is { Success: true } timeout)
            {
                var reason = $"statement {statement.Number} sets {timeout.Groups["name"].Value} for the deploy session: recorded, not replayed " +
                             "(the replay holds no rows, and the setting would cancel the lint's own catalog reads)";
                steps.Add(new TraceStep { Statement = statement, StaticOnlyReason = reason });
                result.Notes.Add($"{migration.DisplayPath}:{statement.Line}: {reason}");
                continue;
            }
            var step = trace
                ? new TraceStep
                {
                    Statement = statement,
                    Before = current,
                    LockTimeout = lockTimeout,
                    ModifiedTables = await ResolveAsync(DataStatements.Parse(statement), ct),
                }
                : new TraceStep { Statement = statement, StaticOnlyReason = "not linted" };
            steps.Add(step);
            _times.Statements++;
            try
            {
                await ReplayAsync(statement, migration, result, ct);
                replayed.Add(statement);
            }
            catch (PostgresException e)
            {
                step.Error = e;
                if (IsBroken)
                {
                    // The statement ended our session (or the server did): as on a deploy, the file's transaction is lost.
                    // A new session replays what the file had done before it, so the rest of the file is still linted.
                    await RecoverAsync(migration, replayed, result, statement, ct);
                    current = await ReadCatalogAsync(ct);
                    (lockTimeout, catalogWrites, settingsRead) = await SessionStateAsync(ct);
                    held.Clear();
                    held.UnionWith(await LocksAsync(baseline, ct));
                }
                else
                {
                    await ExecuteAsync("rollback to savepoint mslint_statement", ct);
                    AfterStatement(statement);
                }
                if (trace) step.After = current;
                continue;
            }
            AfterStatement(statement);
            // One round trip after the statement: its savepoint released, the locks, the lock_timeout and the catalog write count.
            await using (var batch = new NpgsqlBatch(_connection))
            {
                batch.BatchCommands.Add(new NpgsqlBatchCommand("release savepoint mslint_statement"));
                batch.BatchCommands.Add(new NpgsqlBatchCommand(SessionStateSql));
                if (trace) batch.BatchCommands.Add(new NpgsqlBatchCommand(SelectLocks));
                // the release returns no result set: the reader starts on the session state
                await using var reader = await batch.ExecuteReaderAsync(ct);
                await reader.ReadAsync(ct);
                lockTimeout = reader.GetString(0);
                var writes = reader.GetString(1);
                var changed = writes == catalogWrites ? new HashSet<string>() : ChangedCatalogs(catalogWrites, writes);
                var settings = reader.GetString(2);
                catalogWrites = writes;
                if (!trace) continue;
                await reader.NextResultAsync(ct);
                var locks = new List<HeldLock>();
                while (await reader.ReadAsync(ct))
                {
                    var relation = reader.GetFieldValue<uint>(0);
                    if (baseline.Relations.ContainsKey(relation)) locks.Add(new HeldLock(relation, reader.GetString(1)));
                }
                step.NewLocks = locks.Where(held.Add).ToList();
                await reader.DisposeAsync();
                if (changed.Count > 0)
                {
                    current = settings == settingsRead ? await ReadCatalogAsync(current, changed, ct) : await ReadCatalogAsync(ct);
                    settingsRead = settings;
                }
                step.After = current;
            }
        }
        try
        {
            await _transaction.CommitAsync(ct);
        }
        catch (PostgresException e) when (steps.Count > 0)
        {
            // a deferred constraint or trigger fails at commit: it belongs to the file, as the last statement's failure
            steps[^1].Error ??= e;
            if (IsBroken) await ReopenAsync(ct);
        }
        finally
        {
            await _transaction.DisposeAsync();
            _transaction = null;
        }
        return result;
    }

    private const string SessionStateSql = SelectSessionState;

    private async Task<CatalogState> ReadCatalogAsync(CancellationToken ct, CatalogState? previous = null, IReadOnlySet<string>? changed = null)
    {
        using var _ = _times.Time(LintPhaseTimes.Phase.Catalog);
        _times.CatalogStates++;
        return await CatalogState.ReadAsync(_connection, _exposed, previous, changed, ct);
    }

    private Task<CatalogState> ReadCatalogAsync(CatalogState previous, IReadOnlySet<string> changed, CancellationToken ct) =>
        ReadCatalogAsync(ct, previous, changed);

    /// <summary>The catalog tables whose write count differs between two readings of the session state.</summary>
    private static HashSet<string> ChangedCatalogs(string before, string after)
    {
        static Dictionary<string, string> Parse(string counts) => counts.Split(',', StringSplitOptions.RemoveEmptyEntries)
            .Select(c => c.Split('=')).ToDictionary(c => c[0], c => c[1]);
        var old = Parse(before);
        return Parse(after).Where(c => !old.TryGetValue(c.Key, out var count) || count != c.Value).Select(c => c.Key).ToHashSet();
    }

    private async Task<(string LockTimeout, string CatalogWrites, string Settings)> SessionStateAsync(CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(SelectSessionState, _connection);
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return (reader.GetString(0), reader.GetString(1), reader.GetString(2));
    }

    /// <summary>
    /// Runs one statement of the file under a savepoint (left open: the caller releases it or rolls back to it):
    /// COPY … FROM stdin is fed its inline rows, and an extension the server cannot create gets its stand-in.
    /// </summary>
    private async Task ReplayAsync(SqlStatement statement, LintInput migration, MigrationTrace result, CancellationToken ct)
    {
        if (statement.CopyData is { } rows)
        {
            await ExecuteAsync("savepoint mslint_statement", ct);
            await using var writer = await _connection.BeginTextImportAsync(statement.Text, ct);
            await writer.WriteAsync(rows);
            return;
        }
        var standIn = ExtensionStandIns.For(statement);
        await using (var batch = new NpgsqlBatch(_connection))
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand("savepoint mslint_statement"));
            batch.BatchCommands.Add(new NpgsqlBatchCommand(await RewriteAsync(statement, ct)));
            try
            {
                await batch.ExecuteNonQueryAsync(ct);
                return;
            }
            catch (PostgresException) when (!IsBroken && standIn is not null)
            {
                await ExecuteAsync("rollback to savepoint mslint_statement", ct);
                await ExecuteAsync("savepoint mslint_statement", ct);
            }
        }
        // The server lacks the extension, or cannot load it here (pg_cron needs shared_preload_libraries): its stand-in.
        var (extension, schema) = standIn!.Value;
        await ExecuteAsync(extension.Sql(schema ?? await ScalarAsync<string>("select current_schema()", ct)), ct);
        result.Notes.Add($"{migration.DisplayPath}:{statement.Line}: {extension.Note}");
    }

    /// <summary>An index on the vector stand-in's access methods loses pgvector's storage parameters (see <see cref="ExtensionStandIns.Rewrite"/>).</summary>
    private async Task<string> RewriteAsync(SqlStatement statement, CancellationToken ct)
    {
        if (!VectorIndex().IsMatch(statement.Normalized)) return statement.Text;
        var standIn = await ScalarAsync<bool>("select exists (select 1 from pg_am where amname in ('hnsw', 'ivfflat') and amhandler = 'pg_catalog.hashhandler'::regproc)", ct);
        return ExtensionStandIns.Rewrite(statement, standIn);
    }

    /// <summary>DEALLOCATE and DISCARD drop the session's prepared statements, the lint's catalog reads among them.</summary>
    [System.Text.RegularExpressions.GeneratedRegex(@"^(?:deallocate|discard)\b")]
    private static partial System.Text.RegularExpressions.Regex DropsPrepared();

    /// <summary>After a statement that may have dropped the prepared statements: Npgsql forgets them too, and prepares again when next used.</summary>
    private void AfterStatement(SqlStatement statement)
    {
        if (!IsBroken && DropsPrepared().IsMatch(statement.Normalized)) _connection.UnprepareAll();
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^create (?:unique )?index\b.*\busing (?:hnsw|ivfflat)\b.*\bwith\(")]
    private static partial System.Text.RegularExpressions.Regex VectorIndex();

    private bool IsBroken => _connection.FullState.HasFlag(System.Data.ConnectionState.Broken) || _connection.State != System.Data.ConnectionState.Open;

    /// <summary>A new session, as the runner would start it; connections the tracer opened are closed with it.</summary>
    private async Task ReopenAsync(CancellationToken ct)
    {
        if (reopen is null) throw new InvalidOperationException("the replay's session ended and this trace cannot open another");
        if (_transaction is not null) { await _transaction.DisposeAsync(); _transaction = null; }
        _connection = await reopen(ct);
        _opened.Add(_connection);
        await ResetSessionAsync(ct);
    }

    /// <summary>After the session ended: a new one, in a transaction, with the file's statements before <paramref name="failed"/> replayed again.</summary>
    private async Task RecoverAsync(LintInput migration, List<SqlStatement> replayed, MigrationTrace result, SqlStatement failed, CancellationToken ct)
    {
        await ReopenAsync(ct);
        _transaction = await _connection.BeginTransactionAsync(ct);
        foreach (var statement in replayed)
        {
            try
            {
                await ReplayAsync(statement, migration, new MigrationTrace { Migration = migration, Baseline = result.Baseline, Steps = [] }, ct);
                await ExecuteAsync("release savepoint mslint_statement", ct);
            }
            catch (PostgresException) when (!IsBroken)
            {
                await ExecuteAsync("rollback to savepoint mslint_statement", ct);
            }
            AfterStatement(statement);
        }
        result.Notes.Add($"{migration.DisplayPath}:{failed.Line}: statement {failed.Number} ended the replay's session: a new session replayed " +
                         $"the {replayed.Count} statement(s) before it, and the rest of the file was linted on that");
    }

    /// <summary>Applies a rollback script as the runner would: one transaction, or alone outside one.</summary>
    public async Task ApplyScriptAsync(MigrationFile file, CancellationToken ct)
    {
        await ResetSessionAsync(ct);
        if (file.IsNonTransactional)
        {
            await ExecuteAsync(file.Statements[0].Text, ct);
            AfterStatement(file.Statements[0]);
            return;
        }
        await using var transaction = await _connection.BeginTransactionAsync(ct);
        foreach (var statement in file.Statements)
        {
            await ExecuteAsync(statement.Text, ct);
            AfterStatement(statement);
        }
        await transaction.CommitAsync(ct);
    }

    /// <summary>
    /// Applies a transactional script as the runner would, reads what it left with <paramref name="read"/>, then rolls it back.
    /// `set constraints all immediate` first runs the deferred checks and constraint triggers the commit would run, so a
    /// script that would fail at commit fails here too.
    /// </summary>
    public async Task<T> TryScriptAsync<T>(MigrationFile file, Func<Task<T>> read, CancellationToken ct)
    {
        await ResetSessionAsync(ct);
        await using var transaction = await _connection.BeginTransactionAsync(ct);
        foreach (var statement in file.Statements)
        {
            if (SessionTimeout().IsMatch(statement.Normalized)) continue;
            await ExecuteAsync(statement.Text, ct);
            AfterStatement(statement);
        }
        await ExecuteAsync("set constraints all immediate", ct);
        var result = await read();
        await transaction.RollbackAsync(ct);
        return result;
    }

    /// <summary>
    /// <paramref name="sql"/>, a DROP INDEX standing for a rollback's DROP INDEX CONCURRENTLY of <paramref name="index"/>, in a
    /// transaction that is rolled back; what it left is read with <paramref name="read"/>. Null when the index belongs to a
    /// partitioned table (CONCURRENTLY would refuse it) or the drop fails: the caller then runs the rollback itself on a copy.
    /// </summary>
    public async Task<T?> TryDropIndexAsync<T>(string sql, string index, Func<Task<T>> read, CancellationToken ct) where T : class
    {
        await ResetSessionAsync(ct);
        await using var transaction = await _connection.BeginTransactionAsync(ct);
        try
        {
            if (await ScalarAsync<bool>("select exists (select 1 from pg_class where oid = to_regclass($1) and relkind = 'I')", ct, index)) return null;
            await ExecuteAsync(sql, ct);
            return await read();
        }
        catch (PostgresException) when (!IsBroken)
        {
            return null;
        }
        finally
        {
            if (!IsBroken) await transaction.RollbackAsync(CancellationToken.None);
        }
    }

    private static string StaticOnly(SqlStatement statement, bool alone) =>
        $"statement {statement.Number} ({NonTransactionalStatement.Describe(statement)}) cannot run in a transaction: checked statically only, " +
        (alone ? "without lock or catalog tracing" : "and not replayed (the file mixes it with other statements)");

    /// <summary>Like the runner: a clean session with Supabase's search_path, and the deploy's lock_timeout when the lint counts it.</summary>
    private async Task ResetSessionAsync(CancellationToken ct)
    {
        await ExecuteAsync("reset all", ct);
        await ExecuteAsync(SupabaseSearchPath, ct);
        if (runnerLockTimeout is { } timeout)
            await ExecuteAsync($"set lock_timeout = {(long)timeout.TotalMilliseconds}", ct);
    }

    private async Task<List<HeldLock>> LocksAsync(CatalogState baseline, CancellationToken ct)
    {
        var locks = new List<HeldLock>();
        await using var command = new NpgsqlCommand(SelectLocks, _connection);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var relation = reader.GetFieldValue<uint>(0);
            if (baseline.Relations.ContainsKey(relation)) locks.Add(new HeldLock(relation, reader.GetString(1)));
        }
        return locks;
    }

    private async Task<IReadOnlyList<ModifiedTable>> ResolveAsync(IReadOnlyList<(string Verb, string Name, bool EveryRow, bool Cascade)> tables, CancellationToken ct)
    {
        var resolved = new List<ModifiedTable>();
        foreach (var (verb, name, everyRow, cascade) in tables)
        {
            uint? oid;
            await ExecuteAsync("savepoint mslint_resolve", ct);
            try
            {
                oid = await ScalarAsync<uint?>(ResolveTable, ct, name);
                await ExecuteAsync("release savepoint mslint_resolve", ct);
            }
            catch (PostgresException)
            {
                oid = null; // not a name to_regclass can read (e.g. a CTE's alias): not a table of the schema
                await ExecuteAsync("rollback to savepoint mslint_resolve", ct);
            }
            resolved.Add(new ModifiedTable(verb, name, oid, everyRow, cascade));
        }
        return resolved;
    }

    private Task ExecuteAsync(string sql, CancellationToken ct) => SqlCommands.ExecuteAsync(_connection, sql, ct);

    private async Task<T> ScalarAsync<T>(string sql, CancellationToken ct, params object[] values) =>
        (await SqlCommands.ScalarAsync<T>(_connection, sql, ct, values))!;

    public async ValueTask DisposeAsync()
    {
        foreach (var opened in _opened) await opened.DisposeAsync();
        _opened.Clear();
    }
}
