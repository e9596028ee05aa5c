using Npgsql;

namespace MentorStatus.Bench;

// The C# paths the cases measure: the library (MentorStatus.Core) itself, MentorStatusRepository for status
// changes and CertificationExpiryJob for the expiry job; the row-at-a-time baselines are written here.

/// <summary>One status change by a user (role authenticated, JWT claims set locally), one transaction.</summary>
public interface IStatusChangePath
{
    string Name { get; }
    Task ChangeAsync(Guid userId, Guid mentorId, BenchStatus newStatus, string reason, CancellationToken ct);
}

/// <summary>The certification-expiry job: pauses every active mentor whose certification expired as of an instant.</summary>
public interface IExpiryJobPath
{
    string Name { get; }
    /// <summary>Returns the number of mentors paused and the job run id their history rows carry.</summary>
    Task<(int Paused, Guid RunId)> RunAsync(DateTimeOffset asOf, CancellationToken ct);
}

/// <summary>MentorStatusRepository.ChangeStatusAsync as the user: a pooled connection and one transaction per change.</summary>
public sealed class RepositoryStatusChangePath(NpgsqlDataSource dataSource, string? variant = null) : IStatusChangePath
{
    private readonly MentorStatusRepository _repository = new(dataSource);

    public string Name => "MentorStatusRepository.ChangeStatusAsync(Caller.User(…))" + (variant is null ? "" : $", {variant}");

    public Task ChangeAsync(Guid userId, Guid mentorId, BenchStatus newStatus, string reason, CancellationToken ct) =>
        _repository.ChangeStatusAsync(Caller.User(userId), mentorId, (MentorState)(int)newStatus, reason, ct);
}

/// <summary>The library's CertificationExpiryJob: set-based batches (pause, history, notifications in one statement each).</summary>
public sealed class LibraryExpiryJobPath(NpgsqlDataSource dataSource, int batchSize, Action<int>? batchCommitted = null) : IExpiryJobPath
{
    public string Name => $"CertificationExpiryJob.RunAsync (set-based, batches of {batchSize:N0}, with its coordinator notifications)";

    /// <summary>Milliseconds of each batch of the last run (between one committed batch and the next).</summary>
    public IReadOnlyList<double> BatchMilliseconds { get; private set; } = [];

    public async Task<(int Paused, Guid RunId)> RunAsync(DateTimeOffset asOf, CancellationToken ct)
    {
        var times = new List<double>();
        var last = System.Diagnostics.Stopwatch.GetTimestamp();
        var options = new CertificationExpiryJobOptions
        {
            BatchSize = batchSize,
            AfterBatch = (progress, _) =>
            {
                batchCommitted?.Invoke(progress.Batch);
                times.Add(System.Diagnostics.Stopwatch.GetElapsedTime(last).TotalMilliseconds);
                last = System.Diagnostics.Stopwatch.GetTimestamp();
                return Task.CompletedTask;
            },
        };
        var run = await new CertificationExpiryJob(dataSource, options: options).RunAsync(asOf, null, ct);
        BatchMilliseconds = times;
        return (run.MentorsPaused, run.RunId);
    }
}

/// <summary>
/// The baseline: the same job written as a loop, one statement per mentor through the system path
/// (mentor_status_private.record_system_status_change). Either one transaction per mentor (what a loop over
/// the repository does) or one per batch of the job's size (same transactions as the set-based job, so
/// that only the statement granularity differs). <paramref name="limit"/> times the loop on the first mentors only.
/// </summary>
public sealed class RowByRowExpiryJobPath(NpgsqlDataSource dataSource, int batchSize, bool transactionPerMentor, int? limit = null) : IExpiryJobPath
{
    private const string EligibleSql = """
        select m.id
        from public.peer_mentors m
        where m.status = 'active' and m.deleted_at is null and m.certification_expires_at <= $1
        order by m.certification_expires_at, m.id
        limit $2
        """;

    private const string ChangeSql = "select mentor_status_private.record_system_status_change($1, 'paused', 'certification_expired', $2)";

    public string Name => transactionPerMentor
        ? "row at a time, one transaction per mentor (record_system_status_change)"
        : $"row at a time, one transaction per {batchSize:N0} mentors (record_system_status_change)";

    public async Task<(int Paused, Guid RunId)> RunAsync(DateTimeOffset asOf, CancellationToken ct)
    {
        var runId = Guid.NewGuid();
        var ids = new List<Guid>();
        await using (var command = dataSource.CreateCommand(EligibleSql))
        {
            command.Parameters.Add(new() { Value = asOf });
            command.Parameters.Add(new() { Value = (long)(limit ?? int.MaxValue) });
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) ids.Add(reader.GetGuid(0));
        }
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        foreach (var chunk in ids.Chunk(transactionPerMentor ? 1 : batchSize))
        {
            await using var transaction = await connection.BeginTransactionAsync(ct);
            foreach (var id in chunk)
            {
                await using var command = new NpgsqlCommand(ChangeSql, connection) { Parameters = { new() { Value = id }, new() { Value = runId } } };
                await command.ExecuteNonQueryAsync(ct);
            }
            await transaction.CommitAsync(ct);
        }
        return (ids.Count, runId);
    }
}

/// <summary>
/// The job's floor: the same rows written by plain SQL in one transaction — one UPDATE of every
/// expired mentor, one INSERT … SELECT of their history rows — with the user triggers of peer_mentors off
/// (the foreign-key checks, system triggers, stay on), no notifications, no batches, no run record.
/// With <paramref name="timeOrderedIds"/>, the history ids are the job's (UUID v7 from the change's millisecond,
/// 20261127170000) instead of the column default's random ones: the floor lowered the way the job lowered it.
/// </summary>
public sealed class PlainSqlFloorPath(NpgsqlDataSource dataSource, bool timeOrderedIds = false) : IExpiryJobPath
{
    private const string PauseSql = """
        update public.peer_mentors
        set status = 'paused', status_changed_at = $2
        where status = 'active' and deleted_at is null and certification_expires_at <= $1
        """;

    private const string HistorySql = """
        insert into public.peer_mentor_status_history (mentor_id, previous_status, new_status, changed_by, changed_at, reason, job_run_id)
        select m.id, 'active', 'paused', null, m.status_changed_at, 'certification_expired', $2
        from public.peer_mentors m
        where m.status = 'paused' and m.status_changed_at = $1
        """;

    // the same rows with the job's ids (the expression of migration 20261127170000)
    private const string TimeOrderedHistorySql = """
        insert into public.peer_mentor_status_history (id, mentor_id, previous_status, new_status, changed_by, changed_at, reason, job_run_id)
        select encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid()),
                                              substring(int8send(floor(extract(epoch from m.status_changed_at) * 1000)::bigint), 3), 1, 6),
                                      52, 1), 53, 1), 'hex')::uuid,
               m.id, 'active', 'paused', null, m.status_changed_at, 'certification_expired', $2
        from public.peer_mentors m
        where m.status = 'paused' and m.status_changed_at = $1
        """;

    public string Name => "plain SQL floor: one UPDATE + one INSERT … SELECT in one transaction, user triggers off" +
                          (timeOrderedIds ? ", history ids time-ordered as the job's" : "");

    public async Task<(int Paused, Guid RunId)> RunAsync(DateTimeOffset asOf, CancellationToken ct)
    {
        var runId = Guid.NewGuid();
        var stamp = DateTimeOffset.UtcNow;
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await using (var off = new NpgsqlCommand("alter table public.peer_mentors disable trigger user", connection))
            await off.ExecuteNonQueryAsync(ct);
        int paused;
        await using (var update = new NpgsqlCommand(PauseSql, connection) { Parameters = { new() { Value = asOf }, new() { Value = stamp } } })
            paused = await update.ExecuteNonQueryAsync(ct);
        await using (var insert = new NpgsqlCommand(timeOrderedIds ? TimeOrderedHistorySql : HistorySql, connection) { Parameters = { new() { Value = stamp }, new() { Value = runId } } })
            await insert.ExecuteNonQueryAsync(ct);
        await using (var on = new NpgsqlCommand("alter table public.peer_mentors enable trigger user", connection))
            await on.ExecuteNonQueryAsync(ct);
        await transaction.CommitAsync(ct);
        return (paused, runId);
    }
}

/// <summary>
/// What users' status changes wait while the job runs: two connections, each in a loop of its own transactions
/// (begin; select … for update of one mentor, as change_mentor_status locks it first; a read; commit; 2 ms pause).
/// One takes mentors of the batch that is running (from the cohort in the job's order: (certification_expires_at, id)),
/// so it meets the batch's row locks; the other takes mentors outside the cohort and reads their 50 newest history
/// rows (what the app shows next), so it sees what the job costs a user it does not touch. Each wait is put on the
/// batch that was running when it started (the job reports each committed batch through <see cref="BatchCommitted"/>).
/// </summary>
public sealed class ConcurrentWriters(NpgsqlDataSource dataSource, IReadOnlyList<Guid> cohortInJobOrder, int batchSize, Func<Random, Guid> outsideMentor)
    : IAsyncDisposable
{
    private const string LockSql = "select status from public.peer_mentors where id = $1 for update";
    private const string TimelineSql = """
        select h.id, h.new_status, h.changed_at from public.peer_mentor_status_history h
        where h.mentor_id = $1 order by h.changed_at desc limit 50
        """;

    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _loops = [];
    private readonly Lock _gate = new();
    private readonly SortedDictionary<int, double> _inBatch = [];
    private readonly SortedDictionary<int, double> _outside = [];
    private volatile int _running;

    /// <summary>Batches committed so far: the batch running is the next (0-based index = this count).</summary>
    public void BatchCommitted(int batches) => _running = batches;

    /// <summary>Longest wait per batch (0-based) of the writer on the running batch's mentors, in ms.</summary>
    public IReadOnlyDictionary<int, double> InBatchByBatch { get { lock (_gate) return new Dictionary<int, double>(_inBatch); } }
    /// <summary>Longest wait per batch (0-based) of the writer outside the cohort, in ms.</summary>
    public IReadOnlyDictionary<int, double> OutsideByBatch { get { lock (_gate) return new Dictionary<int, double>(_outside); } }
    public long Operations { get; private set; }

    public void Start()
    {
        _loops.Add(Task.Run(() => LoopAsync(1, rng =>
        {
            var from = Math.Min(_running * batchSize, Math.Max(0, cohortInJobOrder.Count - 1));
            var to = Math.Min(from + batchSize, cohortInJobOrder.Count);
            return cohortInJobOrder[from + rng.Next(to - from)];
        }, readTimeline: false, _inBatch)));
        _loops.Add(Task.Run(() => LoopAsync(2, outsideMentor, readTimeline: true, _outside)));
    }

    private async Task LoopAsync(int seed, Func<Random, Guid> pick, bool readTimeline, SortedDictionary<int, double> longest)
    {
        var rng = new Random(4711 + seed);
        await using var connection = await dataSource.OpenConnectionAsync(_stop.Token);
        while (!_stop.IsCancellationRequested)
        {
            var batchIndex = _running;
            var mentor = pick(rng);
            var t0 = System.Diagnostics.Stopwatch.GetTimestamp();
            await using (var batch = new NpgsqlBatch(connection))
            {
                batch.BatchCommands.Add(new NpgsqlBatchCommand("begin"));
                batch.BatchCommands.Add(new NpgsqlBatchCommand(LockSql) { Parameters = { new() { Value = mentor } } });
                if (readTimeline) batch.BatchCommands.Add(new NpgsqlBatchCommand(TimelineSql) { Parameters = { new() { Value = mentor } } });
                batch.BatchCommands.Add(new NpgsqlBatchCommand("commit"));
                await batch.ExecuteNonQueryAsync(CancellationToken.None);
            }
            var ms = System.Diagnostics.Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            lock (_gate)
            {
                longest[batchIndex] = Math.Max(longest.GetValueOrDefault(batchIndex), ms);
                Operations++;
            }
            try { await Task.Delay(2, _stop.Token); } catch (OperationCanceledException) { }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        foreach (var loop in _loops)
        {
            try { await loop; } catch (OperationCanceledException) { }
        }
        _stop.Dispose();
    }
}
