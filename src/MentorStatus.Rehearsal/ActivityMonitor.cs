using Npgsql;

namespace MentorStatus.Rehearsal;

/// <summary>A client backend seen waiting for a lock that the migration's backend holds (or queues for first).</summary>
internal sealed record LockWait(int Pid, DateTime Since, DateTime LastSeen, uint Relation)
{
    public TimeSpan Duration => LastSeen - Since;
}

/// <summary>A relation lock the migration's backend held at one sample.</summary>
internal sealed record MigrationLockSample(DateTime At, uint Relation, string Mode);

/// <summary>
/// Watches the copy from a session of its own, every few milliseconds, while the migrations run: which
/// backends wait on a lock with the migration's backend among their blockers (pg_stat_activity wait events +
/// pg_blocking_pids), since when (their statement's start), and which relation locks the migration's backend
/// holds (needed for a statement outside a transaction, whose locks are gone when it returns).
/// </summary>
internal sealed class ActivityMonitor : IAsyncDisposable
{
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(10);

    private const string SelectWaits = """
        select a.pid, a.query_start, clock_timestamp(),
               coalesce((select l.relation from pg_locks l where l.pid = a.pid and not l.granted and l.locktype = 'relation' limit 1), 0::oid)
        from pg_stat_activity a
        where a.wait_event_type = 'Lock' and a.pid <> pg_backend_pid() and $1 = any (pg_blocking_pids(a.pid))
        """;

    private const string SelectMigrationLocks = """
        select clock_timestamp(), l.relation, l.mode from pg_locks l
        where l.pid = $1 and l.granted and l.locktype = 'relation'
          and l.database = (select oid from pg_database where datname = current_database())
        """;

    private readonly NpgsqlConnection _connection;
    private readonly CancellationTokenSource _stop = new();
    private readonly Dictionary<(int Pid, DateTime Since), LockWait> _waits = [];
    private readonly List<MigrationLockSample> _locks = [];
    private IReadOnlyCollection<uint> _current = [];
    private Task _loop = Task.CompletedTask;

    /// <summary>The migration runner's backend; 0 until its first statement.</summary>
    public int MigrationPid { get; set; }

    private ActivityMonitor(NpgsqlConnection connection) => _connection = connection;

    /// <param name="connectionString">A superuser's (it sees every backend's wait), search_path pinned to pg_catalog: it reads catalogs only.</param>
    public static async Task<ActivityMonitor> StartAsync(string connectionString, CancellationToken ct)
    {
        var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        var monitor = new ActivityMonitor(connection);
        monitor._loop = Task.Run(monitor.LoopAsync, CancellationToken.None); // stopped by DisposeAsync through _stop, not by the caller's token
        return monitor;
    }

    private async Task LoopAsync()
    {
        var ct = _stop.Token;
        while (!ct.IsCancellationRequested)
        {
            var pid = MigrationPid;
            if (pid != 0)
            {
                try
                {
                    await SampleAsync(pid, ct);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
            try
            {
                await Task.Delay(Interval, ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task SampleAsync(int pid, CancellationToken ct)
    {
        await using (var command = new NpgsqlCommand(SelectWaits, _connection) { Parameters = { new() { Value = pid } } })
        await using (var reader = await command.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct))
            {
                if (reader.IsDBNull(1)) continue;
                var key = (reader.GetInt32(0), reader.GetDateTime(1));
                var wait = new LockWait(key.Item1, key.Item2, reader.GetDateTime(2), reader.GetFieldValue<uint>(3));
                lock (_waits) _waits[key] = _waits.TryGetValue(key, out var seen) && seen.Relation != 0 && wait.Relation == 0 ? wait with { Relation = seen.Relation } : wait;
            }
        var current = new HashSet<uint>();
        await using (var command = new NpgsqlCommand(SelectMigrationLocks, _connection) { Parameters = { new() { Value = pid } } })
        await using (var reader = await command.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct))
            {
                lock (_locks) _locks.Add(new MigrationLockSample(reader.GetDateTime(0), reader.GetFieldValue<uint>(1), reader.GetString(2)));
                current.Add(reader.GetFieldValue<uint>(1));
            }
        Volatile.Write(ref _current, current);
    }

    /// <summary>The relations the migration's backend held a lock on at the latest sample.</summary>
    public IReadOnlyCollection<uint> CurrentRelations() => Volatile.Read(ref _current);

    public IReadOnlyList<LockWait> Waits()
    {
        lock (_waits) return _waits.Values.ToList();
    }

    public IReadOnlyList<MigrationLockSample> MigrationLocks(DateTime from, DateTime to)
    {
        lock (_locks) return _locks.Where(l => l.At >= from && l.At <= to).ToList();
    }

    public Task StopAsync() => BackgroundTasks.CancelAndAwaitAsync(_stop, _loop);

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_stop.IsCancellationRequested) await StopAsync();
        }
        finally
        {
            // closed even when stopping failed, so a failed stop leaks no connection
            await _connection.DisposeAsync();
            _stop.Dispose();
        }
    }
}
