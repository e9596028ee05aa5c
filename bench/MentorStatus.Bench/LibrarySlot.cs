using Npgsql;

namespace MentorStatus.Bench;

// The C# paths the cases measure. Until the library (MentorStatus.Core: MentorStatusRepository,
// CertificationExpiryJob) is on main, these send exactly the SQL the library sends, with the same
// transaction shape; when it is merged, the two classes below are replaced by thin wrappers over the
// library (see the comments) and the report's path names change with them.

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

/// <summary>
/// What MentorStatusRepository.ChangeStatusAsync(Caller.User(id), …) sends: a connection from the pool, a
/// transaction whose first message is one batch (lock_timeout, role, claims), the rpc, commit.
/// Replace with: <c>new MentorStatusRepository(dataSource).ChangeStatusAsync(Caller.User(userId), mentorId, state, reason, ct)</c>.
/// </summary>
public sealed class NpgsqlStatusChangePath(NpgsqlDataSource dataSource, string? variant = null) : IStatusChangePath
{
    public const string ChangeSql =
        "select id, mentor_id, previous_status, new_status, changed_by, changed_at, reason, job_run_id from public.change_mentor_status($1, $2, $3)";

    public string Name => "Npgsql, the repository's SQL (library not merged yet)" + (variant is null ? "" : $", {variant}");

    public async Task ChangeAsync(Guid userId, Guid mentorId, BenchStatus newStatus, string reason, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await using (var batch = new NpgsqlBatch(connection))
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand("select set_config('lock_timeout', $1, true)") { Parameters = { new() { Value = "5000ms" } } });
            batch.BatchCommands.Add(new NpgsqlBatchCommand("set local role authenticated"));
            batch.BatchCommands.Add(new NpgsqlBatchCommand("select set_config('request.jwt.claims', $1, true)") { Parameters = { new() { Value = Ids.Claims(userId) } } });
            await batch.ExecuteNonQueryAsync(ct);
        }
        await using (var command = new NpgsqlCommand(ChangeSql, connection)
                     { Parameters = { new() { Value = mentorId }, new() { Value = newStatus }, new() { Value = reason } } })
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            if (!await reader.ReadAsync(ct)) throw new InvalidOperationException("change_mentor_status returned no row");
            _ = reader.GetGuid(0);
        }
        await transaction.CommitAsync(ct);
    }
}

/// <summary>
/// The set-based job: batches of one data-modifying CTE each, in their own transaction, until none is left
/// (the library's mentor_status_private.pause_expired_certifications without its notification outbox,
/// which is not on main yet). Replace with: <c>new CertificationExpiryJob(dataSource, options: new() { BatchSize = … }).RunAsync(asOf)</c>.
/// </summary>
public sealed class SqlExpiryJobPath(NpgsqlDataSource dataSource, int batchSize) : IExpiryJobPath
{
    public const string BatchSql = """
        with candidates as (
            select m.id
            from public.peer_mentors m
            where m.status = 'active'
              and m.deleted_at is null
              and m.certification_expires_at <= $2
            order by m.certification_expires_at, m.id
            limit $3
            for update skip locked
        ),
        paused as (
            update public.peer_mentors m
            set status = 'paused',
                status_changed_at = clock_timestamp()
            from candidates c
            where m.id = c.id
              and m.status = 'active'
              and m.deleted_at is null
            returning m.id, m.status_changed_at
        ),
        history as (
            insert into public.peer_mentor_status_history
                (mentor_id, previous_status, new_status, changed_by, changed_at, reason, job_run_id)
            select p.id, 'active', 'paused', null, p.status_changed_at, 'certification_expired', $1
            from paused p
            returning mentor_id
        )
        select count(*)::integer from history
        """;

    public string Name => "set-based batches (SQL of the library's job, library not merged yet)";

    public async Task<(int Paused, Guid RunId)> RunAsync(DateTimeOffset asOf, CancellationToken ct)
    {
        var runId = Guid.NewGuid();
        var total = 0;
        while (true)
        {
            await using var command = dataSource.CreateCommand(BatchSql);
            command.Parameters.Add(new() { Value = runId });
            command.Parameters.Add(new() { Value = asOf });
            command.Parameters.Add(new() { Value = batchSize });
            var paused = (int)(await command.ExecuteScalarAsync(ct))!;
            if (paused == 0) return (total, runId);
            total += paused;
        }
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
