using MentorStatus.Diagnostics;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace MentorStatus;

/// <summary>Retry and lock settings for calls that write.</summary>
public sealed record RetryOptions
{
    /// <summary>Attempts in all for a serialization failure, deadlock or lock timeout.</summary>
    public int MaxAttempts { get; init; } = 4;
    /// <summary>First backoff; doubled per attempt, with full jitter.</summary>
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromMilliseconds(20);
    /// <summary>How long one statement may wait for a row lock (PostgreSQL lock_timeout) before it counts as a conflict.</summary>
    public TimeSpan LockTimeout
    {
        get => _lockTimeout;
        init
        {
            _lockTimeout = value;
            LockTimeoutSetting = Setting(value);
        }
    }

    private readonly TimeSpan _lockTimeout = TimeSpan.FromSeconds(5);

    /// <summary><see cref="LockTimeout"/> as lock_timeout's text ("5000ms"), made once, not per call.</summary>
    internal string LockTimeoutSetting { get; private init; } = Setting(TimeSpan.FromSeconds(5));

    private static string Setting(TimeSpan t) => $"{(long)t.TotalMilliseconds}ms";

    /// <summary>The defaults above.</summary>
    public static RetryOptions Default { get; } = new();
}

/// <summary>
/// Runs one unit of work in its own transaction as a <see cref="Caller"/>, retries transient conflicts
/// with jittered backoff and turns the mentor-status SQLSTATEs into typed exceptions.
/// </summary>
internal static class Transactions
{
    private const string BeginSql = "begin";
    private const string CommitSql = "commit";
    private const string WalPositionSql = "select pg_catalog.pg_current_wal_insert_lsn()";

    // One statement sets everything the caller needs, each value local to the transaction (undone at
    // commit or rollback, so a pooled connection, or a transaction pooler's server connection, never
    // keeps a role or claims). set_config('role', …, true) is what SET LOCAL ROLE does.
    private const string AsOwnerSql = "select pg_catalog.set_config('lock_timeout', $1, true)";
    // The expiry job's batches: the owner, and a commit that does not wait for its WAL flush (see
    // CertificationExpiryJobOptions.AsynchronousCommit for why that is safe for them, and only for them).
    private const string AsOwnerAsynchronousCommitSql =
        "select pg_catalog.set_config('lock_timeout', $1, true), pg_catalog.set_config('synchronous_commit', 'off', true)";
    private const string AsServiceRoleSql =
        "select pg_catalog.set_config('lock_timeout', $1, true), pg_catalog.set_config('role', 'service_role', true)";
    private const string AsAuthenticatedSql =
        "select pg_catalog.set_config('lock_timeout', $1, true), pg_catalog.set_config('role', 'authenticated', true), " +
        "pg_catalog.set_config('request.jwt.claims', $2, true)";

    private static readonly HashSet<string> Transient =
        [PostgresErrorCodes.SerializationFailure, PostgresErrorCodes.DeadlockDetected, PostgresErrorCodes.LockNotAvailable];

    /// <summary>
    /// One statement as one round trip: the caller's settings and <paramref name="sql"/> go out as one
    /// <see cref="NpgsqlBatch"/> ending in a single Sync, so the server runs them as one implicit transaction:
    /// committed at the Sync, or rolled back there as a whole when a statement fails (nothing is left for the
    /// pool to clean up, and the error path is one round trip too). <paramref name="read"/> gets the reader on
    /// the statement's rows.
    /// </summary>
    /// <remarks>With <c>afterCommit</c> set, the batch is an explicit begin … commit followed by the primary's WAL
    /// insert position (an LSN at or past the commit record), handed over after the commit: what a standby must
    /// have replayed to show the change. (A failure then leaves a failed transaction that the pool rolls back.)</remarks>
    public static async Task<T> RunOneTripAsync<T>(NpgsqlDataSource dataSource, Caller? caller, RetryOptions retry,
        string sql, Action<NpgsqlParameterCollection> bind, Func<NpgsqlDataReader, CancellationToken, Task<T>> read,
        CancellationToken ct, Action<NpgsqlLogSequenceNumber>? afterCommit = null,
        ILogger? logger = null, bool asynchronousCommit = false)
    {
        if (asynchronousCommit && caller is not null)
            throw new ArgumentException("an asynchronous commit is for the owner's idempotent job batches only, never for a caller's change.", nameof(asynchronousCommit));
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(ct);
                await using var batch = new NpgsqlBatch(connection);
                if (afterCommit is not null) batch.BatchCommands.Add(new NpgsqlBatchCommand(BeginSql));
                batch.BatchCommands.Add(asynchronousCommit
                    ? new NpgsqlBatchCommand(AsOwnerAsynchronousCommitSql) { Parameters = { new() { Value = retry.LockTimeoutSetting } } }
                    : SettingsCommand(caller, retry));
                var work = new NpgsqlBatchCommand(sql);
                bind(work.Parameters);
                batch.BatchCommands.Add(work);
                if (afterCommit is not null)
                {
                    batch.BatchCommands.Add(new NpgsqlBatchCommand(CommitSql));
                    batch.BatchCommands.Add(new NpgsqlBatchCommand(WalPositionSql));
                }
                // The reader skips statements without rows (begin, commit): it opens on the settings' row.
                await using var reader = await batch.ExecuteReaderAsync(ct);
                await reader.NextResultAsync(ct); // to the statement's rows
                var result = await read(reader, ct);
                // to the end: the commit's failure (e.g. a serialization failure) surfaces here; then the WAL position
                if (await reader.NextResultAsync(ct) && afterCommit is not null && await reader.ReadAsync(ct))
                    afterCommit(reader.GetFieldValue<NpgsqlLogSequenceNumber>(0));
                return result;
            }
            catch (PostgresException e) when (e.SqlState is { } state && Transient.Contains(state))
            {
                await BackOffOrGiveUpAsync(e, attempt, retry, logger, ct);
            }
            catch (PostgresException e) when (Map(e) is { } mapped)
            {
                throw mapped;
            }
        }
    }

    /// <summary>Attempts in all for an idempotent read whose connection was lost (<see cref="ReadAgainOnLostConnectionAsync{T}"/>).</summary>
    internal const int LostConnectionAttempts = 3;

    /// <summary>
    /// An idempotent read, read again on a fresh connection when the server connection was lost (a restart or a
    /// failover: 57P01 admin_shutdown, 08xxx, a broken stream). After a restart every idle pooled connection is dead,
    /// so the pool is cleared first. Never for a write: a commit whose answer was lost may already be written.
    /// </summary>
    public static async Task<T> ReadAgainOnLostConnectionAsync<T>(NpgsqlDataSource dataSource, Func<Task<T>> read, ILogger? logger, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await read();
            }
            catch (NpgsqlException e) when (attempt < LostConnectionAttempts && IsLostConnection(e) && !ct.IsCancellationRequested)
            {
                var state = (e as PostgresException)?.SqlState ?? "08006";
                MentorStatusTelemetry.Retries.Add(1, new KeyValuePair<string, object?>("db.response.status_code", state));
                logger?.LostConnectionRetry(state, attempt, LostConnectionAttempts);
                dataSource.Clear();
            }
        }
    }

    /// <summary>
    /// The server connection is gone: the server shut it (57P01, 57P02), a connection error (08xxx), or Npgsql's
    /// transient I/O failure (end of stream, socket error). A command timeout is not a lost connection.
    /// </summary>
    internal static bool IsLostConnection(NpgsqlException e) => e switch
    {
        PostgresException p => p.SqlState is PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown
                               || p.SqlState.StartsWith("08", StringComparison.Ordinal),
        _ => e.IsTransient && e.InnerException is not TimeoutException,
    };

    /// <summary>Several statements in one transaction: the work gets the connection (the job and the dispatcher).</summary>
    public static async Task<T> RunAsync<T>(NpgsqlDataSource dataSource, Caller? caller, RetryOptions retry,
        Func<NpgsqlConnection, CancellationToken, Task<T>> work, CancellationToken ct, ILogger? logger = null)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(ct);
                // begin and the settings go out together in one round trip (Npgsql prepends the begin)
                await using var transaction = await connection.BeginTransactionAsync(ct);
                await using (var settings = new NpgsqlBatch(connection) { BatchCommands = { SettingsCommand(caller, retry) } })
                    await settings.ExecuteNonQueryAsync(ct);
                var result = await work(connection, ct);
                await transaction.CommitAsync(ct);
                return result;
            }
            catch (PostgresException e) when (e.SqlState is { } state && Transient.Contains(state))
            {
                await BackOffOrGiveUpAsync(e, attempt, retry, logger, ct);
            }
            catch (PostgresException e) when (Map(e) is { } mapped)
            {
                throw mapped;
            }
        }
    }

    private static NpgsqlBatchCommand SettingsCommand(Caller? caller, RetryOptions retry)
    {
        switch (caller)
        {
            case Caller.UserCaller user:
                return new NpgsqlBatchCommand(AsAuthenticatedSql) { Parameters = { new() { Value = retry.LockTimeoutSetting }, new() { Value = user.ClaimsJson } } };
            case Caller.ServiceCaller:
                return new NpgsqlBatchCommand(AsServiceRoleSql) { Parameters = { new() { Value = retry.LockTimeoutSetting } } };
            default:
                // null: the connection's own role (the table owner): the job and the dispatcher
                return new NpgsqlBatchCommand(AsOwnerSql) { Parameters = { new() { Value = retry.LockTimeoutSetting } } };
        }
    }

    // Kept as a loop rather than a Polly pipeline: each attempt must open a new transaction anyway, and this
    // full-jitter backoff is the one the benchmarks measured (Polly's jittered exponential is a different curve).
    private static async Task BackOffOrGiveUpAsync(PostgresException e, int attempt, RetryOptions retry, ILogger? logger, CancellationToken ct)
    {
        var state = e.SqlState;
        if (attempt >= retry.MaxAttempts)
        {
            logger?.RetriesExhausted(state, attempt);
            throw new ConcurrentStatusChangeException(
                $"gave up after {attempt} attempts: the rows stayed in conflict with other transactions ({e.SqlState} {e.MessageText}); try again later.", e)
            { SqlState = e.SqlState };
        }
        // full jitter: a random share of an exponentially growing window
        var window = retry.BaseDelay.TotalMilliseconds * Math.Pow(2, attempt - 1);
        var delay = Random.Shared.NextDouble() * window;
        MentorStatusTelemetry.Retries.Add(1, new KeyValuePair<string, object?>("db.response.status_code", state));
        logger?.TransientRetry(state, attempt, retry.MaxAttempts, delay);
        await Task.Delay(TimeSpan.FromMilliseconds(delay), ct);
    }

    /// <summary>
    /// The typed exception for a mentor-status SQLSTATE that needs nothing but the error itself, or null. MS404 and MS422
    /// name what was asked for (the mentor, the reason): they stay a <see cref="PostgresException"/> here and the caller
    /// that knows those values types them (<see cref="MentorStatusRepository"/>).
    /// </summary>
    internal static MentorStatusException? Map(PostgresException e)
    {
        var text = Text(e);
        return e.SqlState switch
        {
            "MS401" or "MS403" or PostgresErrorCodes.InsufficientPrivilege =>
                new StatusChangeNotAllowedException(text, e) { SqlState = e.SqlState },
            "MS409" => new IllegalStatusTransitionException(text, e) { SqlState = e.SqlState },
            "MS412" => new StatusRuleViolationException(text, e) { SqlState = e.SqlState },
            "MS413" => new ArgumentTooLongException(text, e) { SqlState = e.SqlState },
            "MS429" => new StatusChangeRateLimitedException(text, e) { SqlState = e.SqlState },
            // A server connection that does not know an auto-prepared statement: a transaction pooler
            // (PgBouncer before 1.21, Supavisor in transaction mode) moved the session to another connection.
            PostgresErrorCodes.InvalidSqlStatementName => new PoolerPreparedStatementException(
                $"the server does not know the prepared statement the client used ({text}): the connection goes through a " +
                "transaction pooler that does not keep prepared statements. Add \"Max Auto Prepare=0\" to the connection " +
                "string (or connect to the database directly).", e) { SqlState = e.SqlState },
            _ => null,
        };
    }

    /// <summary>The server's message with its hint, as the typed exceptions carry it.</summary>
    internal static string Text(PostgresException e) => e.MessageText + (e.Hint is null ? "" : $" ({e.Hint})");
}
