using System.Collections.Concurrent;
using Npgsql;
using NpgsqlTypes;

namespace MentorStatus;

/// <summary>Settings of <see cref="ReadReplica"/>.</summary>
public sealed record ReadReplicaOptions
{
    /// <summary>How long a read waits for the standby to replay the caller's own last change before it goes to the primary.</summary>
    public TimeSpan ReplayWait { get; init; } = TimeSpan.FromMilliseconds(500);
    /// <summary>How often the standby's replay position is asked for while a read waits.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(5);
    /// <summary>After the standby failed to answer, reads go to the primary for this long before it is tried again.</summary>
    public TimeSpan RetryDownAfter { get; init; } = TimeSpan.FromSeconds(5);
}

/// <summary>Where reads went since the replica was created (for operators, tests and the bench).</summary>
public sealed record ReadRoutingCounts(long OnStandby, long OnPrimaryAfterLag, long OnPrimaryStandbyDown, long WaitedForReplay);

/// <summary>
/// A hot standby (a streaming replica, e.g. a Supabase read replica) for <see cref="MentorStatusRepository"/>'s
/// reads. Writes always go to the primary. Read-your-writes: after a caller changes a status, the primary's
/// WAL position after that commit is kept for the caller; their next read waits (up to
/// <see cref="ReadReplicaOptions.ReplayWait"/>) until the standby has replayed that far, else it reads from the
/// primary. Other callers see the change once the standby replays it (replication lag, usually milliseconds).
/// A standby that does not answer sends every read to the primary for <see cref="ReadReplicaOptions.RetryDownAfter"/>.
/// </summary>
public sealed class ReadReplica(NpgsqlDataSource standby, ReadReplicaOptions? options = null, TimeProvider? time = null)
{
    private const string ReplayPositionSql = "select pg_catalog.pg_last_wal_replay_lsn()";

    private readonly ReadReplicaOptions _options = options ?? new ReadReplicaOptions();
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    // A caller's newest own change the standby may not show yet; removed once the standby has replayed it.
    private readonly ConcurrentDictionary<Caller, NpgsqlLogSequenceNumber> _pending = new();
    private long _downUntilTicks;
    private long _onStandby, _afterLag, _standbyDown, _waited;

    /// <summary>The standby's data source.</summary>
    public NpgsqlDataSource Standby => standby;

    /// <summary>Where reads went so far (a snapshot).</summary>
    public ReadRoutingCounts Counts => new(Interlocked.Read(ref _onStandby), Interlocked.Read(ref _afterLag),
        Interlocked.Read(ref _standbyDown), Interlocked.Read(ref _waited));

    /// <summary>The caller's change committed on the primary at or before <paramref name="lsn"/>.</summary>
    internal void RecordWrite(Caller caller, NpgsqlLogSequenceNumber lsn) =>
        _pending.AddOrUpdate(caller, lsn, (_, old) => old > lsn ? old : lsn);

    /// <summary>The standby when it may serve this caller's read now; null: read from the primary.</summary>
    internal async Task<NpgsqlDataSource?> ChooseAsync(Caller caller, CancellationToken ct)
    {
        if (_time.GetUtcNow().UtcTicks < Interlocked.Read(ref _downUntilTicks))
        {
            Interlocked.Increment(ref _standbyDown);
            return null;
        }
        if (!_pending.TryGetValue(caller, out var needed)) return standby;

        Interlocked.Increment(ref _waited);
        var deadline = _time.GetUtcNow() + _options.ReplayWait;
        try
        {
            await using var connection = await standby.OpenConnectionAsync(ct);
            await using var command = new NpgsqlCommand(ReplayPositionSql, connection);
            while (true)
            {
                // NULL: not a standby (promoted, or pointed at a primary): everything it has is committed
                var replayed = await command.ExecuteScalarAsync(ct) as NpgsqlLogSequenceNumber?;
                if (replayed is null || replayed >= needed)
                {
                    _pending.TryRemove(new KeyValuePair<Caller, NpgsqlLogSequenceNumber>(caller, needed));
                    return standby;
                }
                if (_time.GetUtcNow() >= deadline)
                {
                    Interlocked.Increment(ref _afterLag);
                    return null;
                }
                await Task.Delay(_options.PollInterval, ct);
            }
        }
        catch (Exception e) when (IsUnavailable(e))
        {
            MarkDown();
            return null;
        }
    }

    internal void Served() => Interlocked.Increment(ref _onStandby);

    /// <summary>The standby did not answer: reads go to the primary for a while.</summary>
    internal void MarkDown()
    {
        Interlocked.Increment(ref _standbyDown);
        Interlocked.Exchange(ref _downUntilTicks, (_time.GetUtcNow() + _options.RetryDownAfter).UtcTicks);
    }

    /// <summary>
    /// Connection failures, and the server errors of a standby going away: shutdown (class 57, e.g. 57P01),
    /// connection exceptions (08), or a standby that cannot accept connections yet (57P03).
    /// </summary>
    internal static bool IsUnavailable(Exception e) => e switch
    {
        PostgresException p => p.SqlState.StartsWith("57", StringComparison.Ordinal) || p.SqlState.StartsWith("08", StringComparison.Ordinal),
        NpgsqlException => true,
        System.Net.Sockets.SocketException or TimeoutException => true,
        _ => false,
    };
}
