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
public sealed class LibraryExpiryJobPath(NpgsqlDataSource dataSource, int batchSize, bool asynchronousCommit = true) : IExpiryJobPath
{
    public string Name => $"CertificationExpiryJob.RunAsync (set-based, batches of {batchSize:N0}, with its coordinator notifications" +
                           (asynchronousCommit ? ")" : ", synchronous batch commits)");

    /// <summary>Milliseconds of each batch of the last run (between one committed batch and the next).</summary>
    public IReadOnlyList<double> BatchMilliseconds { get; private set; } = [];

    public async Task<(int Paused, Guid RunId)> RunAsync(DateTimeOffset asOf, CancellationToken ct)
    {
        var times = new List<double>();
        var last = System.Diagnostics.Stopwatch.GetTimestamp();
        var options = new CertificationExpiryJobOptions
        {
            BatchSize = batchSize,
            AsynchronousCommit = asynchronousCommit,
            AfterBatch = (_, _) =>
            {
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
/// Diagnostic: the batch as round 4 left it (20261127130100: every batch from the earliest expiry, history in
/// heap order), installed as a scratch function in the bench database only, from the rollback of 20261127140100
/// that restores it (renamed, so the migrations' own function is untouched), and run in the job's transactions:
/// one round trip per batch (begin, synchronous_commit off, the batch, commit) until a batch pauses nobody.
/// </summary>
public sealed class Round4BatchPath(NpgsqlDataSource dataSource, int batchSize) : IExpiryJobPath
{
    public const string ScratchFunction = "mentor_status_private.bench_round4_pause_expired_certifications";
    private const string Rollback = "20261127140100_issue13_expiry_keyset_continuation.sql";

    public string Name => $"the round-4 batch (scratch copy of 20261127130100, every batch from the start), batches of {batchSize:N0}";
    public IReadOnlyList<double> BatchMilliseconds { get; private set; } = [];

    /// <summary>Creates the scratch function from the rollback file (its first function is the round-4 batch).</summary>
    public static async Task InstallAsync(NpgsqlDataSource dataSource, MentorStatus.Database.ProjectLayout layout, CancellationToken ct)
    {
        var text = await File.ReadAllTextAsync(Path.Combine(layout.RollbacksDirectory, Rollback), ct);
        const string head = "create or replace function mentor_status_private.pause_expired_certifications(";
        var start = text.IndexOf(head, StringComparison.Ordinal);
        var end = start < 0 ? -1 : text.IndexOf("$$;", text.IndexOf("as $$", start, StringComparison.Ordinal) + 5, StringComparison.Ordinal);
        if (start < 0 || end < 0) throw new InvalidOperationException($"the round-4 batch was not found in supabase/rollbacks/{Rollback}.");
        var body = "create or replace function " + ScratchFunction + "(" + text[(start + head.Length)..(end + 3)];
        await using var command = dataSource.CreateCommand(body);
        await command.ExecuteNonQueryAsync(ct);
    }

    public async Task<(int Paused, Guid RunId)> RunAsync(DateTimeOffset asOf, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        Guid runId;
        await using (var start = new NpgsqlCommand(
            "insert into public.status_job_runs (job_name, as_of, batch_size) values ('certification_expiry', $1, $2) returning id", connection)
            { Parameters = { new() { Value = asOf }, new() { Value = batchSize } } })
            runId = (Guid)(await start.ExecuteScalarAsync(ct))!;
        var total = 0;
        var times = new List<double>();
        while (true)
        {
            var t0 = System.Diagnostics.Stopwatch.GetTimestamp();
            await using var batch = new NpgsqlBatch(connection)
            {
                BatchCommands =
                {
                    new NpgsqlBatchCommand("begin"),
                    new NpgsqlBatchCommand("set local synchronous_commit = off"),
                    new NpgsqlBatchCommand($"select mentors_paused from {ScratchFunction}($1, $2, $3)")
                        { Parameters = { new() { Value = runId }, new() { Value = asOf }, new() { Value = batchSize } } },
                    new NpgsqlBatchCommand("commit"),
                },
            };
            var paused = (int)(await batch.ExecuteScalarAsync(ct))!;
            if (paused == 0) break;
            times.Add(System.Diagnostics.Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
            total += paused;
        }
        await using (var finish = new NpgsqlCommand(
            "update public.status_job_runs set outcome = 'succeeded', finished_at = clock_timestamp() where id = $1", connection)
            { Parameters = { new() { Value = runId } } })
            await finish.ExecuteNonQueryAsync(ct);
        BatchMilliseconds = times;
        return (total, runId);
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
/// The job's floor (issue 13): the same rows written by plain SQL in one transaction — one UPDATE of every
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
/// What a status change would wait while the job runs: a loop that locks random mentors of the expired cohort
/// the way change_mentor_status does (select … for update, own transaction) and keeps the longest wait.
/// </summary>
public sealed class ConcurrentLockProbe(NpgsqlDataSource dataSource, Func<Random, Guid> mentor) : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;
    public double LongestWaitMs { get; private set; }
    public long Probes { get; private set; }

    public void Start() => _loop = Task.Run(async () =>
    {
        var rng = new Random(4711);
        await using var connection = await dataSource.OpenConnectionAsync(_stop.Token);
        while (!_stop.IsCancellationRequested)
        {
            var t0 = System.Diagnostics.Stopwatch.GetTimestamp();
            await using (var batch = new NpgsqlBatch(connection)
            {
                BatchCommands =
                {
                    new NpgsqlBatchCommand("begin"),
                    new NpgsqlBatchCommand("select status from public.peer_mentors where id = $1 for update") { Parameters = { new() { Value = mentor(rng) } } },
                    new NpgsqlBatchCommand("commit"),
                },
            })
                await batch.ExecuteNonQueryAsync(CancellationToken.None);
            LongestWaitMs = Math.Max(LongestWaitMs, System.Diagnostics.Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
            Probes++;
            await Task.Delay(2);
        }
    });

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_loop is not null)
        {
            try { await _loop; } catch (OperationCanceledException) { }
        }
        _stop.Dispose();
    }
}
