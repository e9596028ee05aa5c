using MentorStatus.Diagnostics;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace MentorStatus;

/// <summary>Retry and lock settings for calls that write.</summary>
public sealed record RetryOptions
{
    /// <summary>Attempts in all for a serialization failure, deadlock or lock timeout.</summary>
    public int MaxAttempts { get; init; } = 4;
    /// <summary>First backoff; doubled per attempt, with full jitter.</summary>
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromMilliseconds(20);
    /// <summary>How long one statement may wait for a row lock (PostgreSQL lock_timeout) before it counts as a conflict.</summary>
    public TimeSpan LockTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The defaults above.</summary>
    public static RetryOptions Default { get; } = new();
}

/// <summary>
/// Runs one unit of work in its own transaction as a <see cref="Caller"/>, retries transient conflicts
/// with jittered backoff and turns the mentor-status SQLSTATEs into typed exceptions.
/// </summary>
internal static class Transactions
{
    // "set local" is undone at commit or rollback, so a pooled connection never keeps a role or claims.
    private const string AsAuthenticatedSql = "set local role authenticated";
    private const string AsServiceRoleSql = "set local role service_role";
    private const string SetClaimsSql = "select set_config('request.jwt.claims', $1, true)";
    private const string SetLockTimeoutSql = "select set_config('lock_timeout', $1, true)";

    private static readonly HashSet<string> Transient =
        [PostgresErrorCodes.SerializationFailure, PostgresErrorCodes.DeadlockDetected, PostgresErrorCodes.LockNotAvailable];

    // Kept as a loop rather than a Polly pipeline: each attempt must open a new transaction anyway, and this
    // full-jitter backoff is the one the benchmarks measured (Polly's jittered exponential is a different curve).
    public static async Task<T> RunAsync<T>(NpgsqlDataSource dataSource, Caller? caller, RetryOptions retry,
        Func<NpgsqlConnection, CancellationToken, Task<T>> work, CancellationToken ct, Guid? mentorId = null, string? reason = null,
        ILogger? logger = null)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(ct);
                await using var transaction = await connection.BeginTransactionAsync(ct);
                await PrepareAsync(connection, caller, retry, ct);
                var result = await work(connection, ct);
                await transaction.CommitAsync(ct);
                return result;
            }
            catch (PostgresException e) when (e.SqlState is { } state && Transient.Contains(state))
            {
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
            catch (PostgresException e) when (Map(e, mentorId, reason) is { } mapped)
            {
                throw mapped;
            }
        }
    }

    private static async Task PrepareAsync(NpgsqlConnection connection, Caller? caller, RetryOptions retry, CancellationToken ct)
    {
        var batch = new NpgsqlBatch(connection);
        await using (batch)
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand(SetLockTimeoutSql)
                { Parameters = { new() { Value = $"{(long)retry.LockTimeout.TotalMilliseconds}ms" } } });
            switch (caller)
            {
                case Caller.UserCaller user:
                    batch.BatchCommands.Add(new NpgsqlBatchCommand(AsAuthenticatedSql));
                    batch.BatchCommands.Add(new NpgsqlBatchCommand(SetClaimsSql) { Parameters = { new() { Value = user.ClaimsJson } } });
                    break;
                case Caller.ServiceCaller:
                    batch.BatchCommands.Add(new NpgsqlBatchCommand(AsServiceRoleSql));
                    break;
                // null: the connection's own role (the table owner): the job and the dispatcher
            }
            await batch.ExecuteNonQueryAsync(ct);
        }
    }

    /// <summary>The typed exception for a mentor-status SQLSTATE (see the task-003 migration), or null.</summary>
    internal static MentorStatusException? Map(PostgresException e, Guid? mentorId, string? reason)
    {
        var text = e.MessageText + (e.Hint is null ? "" : $" ({e.Hint})");
        return e.SqlState switch
        {
            "MS404" => new MentorNotFoundException(mentorId ?? Guid.Empty, text, e) { SqlState = e.SqlState },
            "MS401" or "MS403" or PostgresErrorCodes.InsufficientPrivilege =>
                new StatusChangeNotAllowedException(text, e) { SqlState = e.SqlState },
            "MS409" => new IllegalStatusTransitionException(text, e) { SqlState = e.SqlState },
            "MS422" => new UnknownReasonCodeException(reason ?? "", text, e) { SqlState = e.SqlState },
            _ => null,
        };
    }
}
