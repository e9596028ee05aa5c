using System.Diagnostics;
using MentorStatus.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace MentorStatus;

/// <summary>Settings of <see cref="CertificationExpiryJob"/> (configuration: MentorStatus:Job).</summary>
public sealed record CertificationExpiryJobOptions
{
    /// <summary>Most mentors paused per batch (one statement, one transaction).</summary>
    /// <remarks>
    /// 2,000 by measurement (BENCHMARKS.md, "Certification-expiry job: current figures"; 100,000 expired mentors).
    /// A batch holds its mentors' row locks from its UPDATE until it commits, so a user's status change on one of
    /// them waits for the rest of the batch: with two concurrent writers such a change waited up to 461 ms with
    /// batches of 5,000, 210 ms with 2,500 and 79 ms with 1,000 (about 0.08 ms per mentor at the worst); with 2,000,
    /// 178 ms at most over 250 batches, for a few more round trips per run (within the run-to-run noise).
    /// The pg_cron procedure has the same default (migration 20261207122000).
    /// </remarks>
    public int BatchSize { get; init; } = DefaultBatchSize;

    /// <summary>The default <see cref="BatchSize"/>.</summary>
    public const int DefaultBatchSize = 2_000;
    /// <summary>Batches commit with synchronous_commit = off (default true): no WAL flush wait per batch.</summary>
    /// <remarks>
    /// Safe for this job, and why: an asynchronous commit can be lost only as a whole transaction, and only
    /// by a server crash within a few hundred milliseconds (wal_writer_delay × 3) of it; WAL is replayed in
    /// order, so what survives is a prefix of the committed batches, each complete (pauses, history rows,
    /// notifications, run counters together). The run's last step (succeeded or failed) commits
    /// synchronously, and flushing its commit record flushes every batch before it: a run that says it
    /// finished lost nothing, and the dispatcher sends only notifications of finished runs. A crash before
    /// that leaves the run 'running'; the next run marks it abandoned, and re-pauses the mentors of any lost
    /// batch (they are still active with an expired certification) with their history and notifications:
    /// every mentor paused once, every notification written once. A user's status change on a mentor a batch
    /// touched commits after that batch, so its own synchronous flush covers the batch too.
    /// </remarks>
    public bool AsynchronousCommit { get; init; } = true;
    /// <summary>A running run whose last batch is older than this was killed: the next run marks it failed.</summary>
    public TimeSpan AbandonAfter { get; init; } = TimeSpan.FromHours(1);
    /// <summary>Retries of the job's transactions.</summary>
    public RetryOptions Retry { get; init; } = RetryOptions.Default;
    /// <summary>Called after each committed batch (tests use it to stop a run between batches).</summary>
    public Func<JobProgress, CancellationToken, Task>? AfterBatch { get; init; }
}

/// <summary>Progress of a run: after each committed batch.</summary>
public sealed record JobProgress(Guid RunId, int Batch, int PausedInBatch, int PausedSoFar, int EligibleAtStart);

/// <summary>What a run did.</summary>
/// <param name="RunId">The status_job_runs id; every history row of the run carries it.</param>
/// <param name="AsOf">The instant certifications were judged against.</param>
/// <param name="StartedAt">When the run started.</param>
/// <param name="FinishedAt">When the run finished.</param>
/// <param name="Outcome">succeeded (a failed run throws).</param>
/// <param name="MentorsPaused">Mentors paused by this run.</param>
/// <param name="Batches">Batches that paused someone.</param>
/// <param name="NotificationsWritten">Outbox rows of the run: one per coordinator told, written when the run finished.</param>
/// <param name="PausedMentorIds">The mentors paused, in batch order.</param>
/// <param name="AbandonedRunsMarked">Earlier runs found abandoned and marked failed.</param>
public sealed record JobRunResult(
    Guid RunId, DateTimeOffset AsOf, DateTimeOffset StartedAt, DateTimeOffset FinishedAt, string Outcome,
    int MentorsPaused, int Batches, int NotificationsWritten, IReadOnlyList<Guid> PausedMentorIds, int AbandonedRunsMarked);

/// <summary>A mentor the job would pause, and who would be told.</summary>
public sealed record ExpiredMentor(
    Guid MentorId, string DisplayName, Guid OrganisationId, DateTimeOffset CertificationExpiresAt,
    IReadOnlyList<Guid> CoordinatorUserIds, bool FellBackToOrganisation);

/// <summary>
/// Pauses active mentors whose certification expired as of an instant, in batches. Each batch is one
/// call of mentor_status_private.pause_expired_certifications — one data-modifying CTE, kept in the
/// migration so that the pg_cron procedure runs exactly the same statement — in its own transaction:
/// it pauses, appends history (certification_expired, changed_by NULL, this run's id) and writes the
/// coordinator notifications together. Killed between batches, a run leaves complete batches only and
/// the next run finishes the work. A batch pauses the rows it just read by ctid (one pass) and re-checks a
/// row a concurrent transaction changed first; batches of concurrent runs take turns under a
/// transaction-level advisory lock (pooler-safe), so nobody is paused twice and no run stops early. Each
/// batch continues after the previous batch's last (certification_expires_at, id) (keyset continuation):
/// it never walks again past the mentors the run already paused. A mentor that becomes eligible behind the
/// cursor during a run (reactivated, certification date moved back) is left to the next run.
/// </summary>
public sealed class CertificationExpiryJob(
    NpgsqlDataSource dataSource, TimeProvider? time = null, CertificationExpiryJobOptions? options = null, ILogger<CertificationExpiryJob>? logger = null)
{
    /// <summary>status_job_runs.job_name of this job.</summary>
    public const string JobName = "certification_expiry";

    private const string AbandonStaleRunsSql = """
        update public.status_job_runs
        set outcome = 'failed', finished_at = clock_timestamp(),
            error = 'abandoned: no batch committed since ' || heartbeat_at::text
        where job_name = $1
          and outcome = 'running'
          and heartbeat_at < clock_timestamp() - $2::interval
        """;

    private const string StartRunSql = """
        insert into public.status_job_runs (job_name, as_of, batch_size)
        values ($1, $2, $3)
        returning id, started_at
        """;

    // For progress and the log only, but it runs before the first batch: with deleted_at in the filter the
    // partial index (status = 'active') cannot answer it alone and the planner reads the whole table (0.13-0.17 s
    // for 200,000 mentors, 3 % of a 100,000-mentor run). Counted as all active expired mentors from the index
    // alone, less the soft-deleted ones from their own small partial index: the same number, one snapshot, 0.03 s.
    private const string CountEligibleSql = """
        select ((select count(*) from public.peer_mentors
                 where status = 'active' and certification_expires_at <= $1)
              - (select count(*) from public.peer_mentors
                 where deleted_at is not null and status = 'active' and certification_expires_at <= $1))::integer
        """;

    // $4, $5: the previous batch's cursor (NULL for the first batch); the pg_cron procedure passes it the same way
    private const string BatchSql = """
        select mentors_paused, paused_mentor_ids, last_expires_at, last_mentor_id
        from mentor_status_private.pause_expired_certifications($1, $2, $3, $4, $5)
        """;

    private const string FinishRunSql = """
        update public.status_job_runs
        set outcome = $2, finished_at = clock_timestamp(), error = $3
        where id = $1 and outcome = 'running'
        returning finished_at, mentors_paused, batches
        """;

    // read after the UPDATE above, in its transaction: its trigger (20261127170100) wrote them when the run left 'running'
    private const string RunNotificationsSql = """
        select count(*)::integer from public.coordinator_notifications where job_run_id = $1
        """;

    private const string DryRunSql = """
        with eligible as (
            select m.id, m.display_name, m.organisation_id, m.certification_expires_at
            from public.peer_mentors m
            where m.status = 'active' and m.deleted_at is null and m.certification_expires_at <= $1
        ),
        recipients as (
            select * from mentor_status_private.notification_recipients(array(select id from eligible))
        )
        select e.id, e.display_name, e.organisation_id, e.certification_expires_at,
               coalesce(array_agg(r.coordinator_user_id order by r.coordinator_user_id)
                        filter (where r.coordinator_user_id is not null), '{}'),
               coalesce(bool_or(r.fell_back_to_organisation), false)
        from eligible e
        left join recipients r on r.mentor_id = e.id
        group by e.id, e.display_name, e.organisation_id, e.certification_expires_at
        order by e.certification_expires_at, e.id
        """;

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly CertificationExpiryJobOptions _options = options ?? new CertificationExpiryJobOptions();
    private readonly ILogger _log = logger ?? NullLogger<CertificationExpiryJob>.Instance;

    /// <summary>
    /// Runs the job as of <paramref name="asOf"/> (default: now from the TimeProvider). An as-of later than the
    /// TimeProvider's now is refused before the database is touched (<see cref="ArgumentOutOfRangeException"/>): it
    /// would pause certifications that have not expired yet. The database refuses it too (MS400), allowing 5
    /// minutes of difference between this machine's clock and its own.
    /// </summary>
    public async Task<JobRunResult> RunAsync(DateTimeOffset? asOf = null, IProgress<JobProgress>? progress = null, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.BatchSize, 1);
        var now = _time.GetUtcNow();
        if (asOf is { } requested && requested > now)
            throw new ArgumentOutOfRangeException(nameof(asOf), requested,
                $"as-of {requested:o} is in the future (now is {now:o}): a run would pause certifications that have not expired. " +
                "Leave the as-of out to run as of now, or pass an earlier instant (a dry run may look ahead).");
        var instant = asOf ?? now;
        using var runActivity = MentorStatusTelemetry.Source.StartActivity(MentorStatusTelemetry.Spans.JobRun)?
            .SetTag("mentorstatus.job.as_of", instant.ToString("o")).SetTag("mentorstatus.job.batch_size", _options.BatchSize);

        var abandoned = await Transactions.RunAsync(dataSource, null, _options.Retry, async (c, token) =>
        {
            await using var command = new NpgsqlCommand(AbandonStaleRunsSql, c)
                { Parameters = { new() { Value = JobName }, new() { Value = _options.AbandonAfter } } };
            return await command.ExecuteNonQueryAsync(token);
        }, ct);
        if (abandoned > 0) _log.AbandonedRunsMarked(abandoned, _options.AbandonAfter);

        var (runId, startedAt) = await Transactions.RunAsync(dataSource, null, _options.Retry, async (c, token) =>
        {
            await using var command = new NpgsqlCommand(StartRunSql, c)
                { Parameters = { new() { Value = JobName }, new() { Value = instant }, new() { Value = _options.BatchSize } } };
            await using var reader = await command.ExecuteReaderAsync(token);
            await reader.ReadAsync(token);
            return (reader.GetGuid(0), reader.GetFieldValue<DateTimeOffset>(1));
        }, ct);

        var paused = new List<Guid>();
        var batches = 0;
        // keyset continuation: each batch reads after the last (certification_expires_at, id) the previous one read
        DateTimeOffset? afterExpiresAt = null;
        Guid? afterMentorId = null;
        try
        {
            var eligible = await CountEligibleAsync(instant, ct);
            runActivity?.SetTag("mentorstatus.job.run_id", runId).SetTag("mentorstatus.job.eligible", eligible);
            _log.JobRunStarted(runId, instant, _options.BatchSize, eligible);
            while (true)
            {
                ct.ThrowIfCancellationRequested();
                using var batchActivity = MentorStatusTelemetry.Source.StartActivity(MentorStatusTelemetry.Spans.JobBatch)?
                    .SetTag("mentorstatus.job.run_id", runId).SetTag("mentorstatus.job.batch", batches + 1);
                var batchStarted = Stopwatch.GetTimestamp();
                // one round trip per batch: settings and the batch in one implicit transaction, committed at its Sync
                var (count, ids, lastExpiresAt, lastMentorId) = await Transactions.RunOneTripAsync(dataSource, null, _options.Retry, BatchSql,
                    p =>
                    {
                        p.Add(new() { Value = runId });
                        p.Add(new() { Value = instant });
                        p.Add(new() { Value = _options.BatchSize });
                        p.Add(new() { Value = (object?)afterExpiresAt ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
                        p.Add(new() { Value = (object?)afterMentorId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid });
                    },
                    async (reader, token) =>
                    {
                        if (!await reader.ReadAsync(token)) throw new InvalidOperationException($"job run {runId} disappeared while it was running.");
                        return (reader.GetInt32(0), reader.GetFieldValue<Guid[]>(1),
                            reader.IsDBNull(2) ? (DateTimeOffset?)null : reader.GetFieldValue<DateTimeOffset>(2),
                            reader.IsDBNull(3) ? (Guid?)null : reader.GetGuid(3));
                    }, ct, asynchronousCommit: _options.AsynchronousCommit);
                batchActivity?.SetTag("mentorstatus.job.mentors_paused", count);
                // nothing left after the cursor: the end. A batch that read candidates but paused none of them
                // (all changed concurrently) does not end the run; the next batch continues after them.
                if (lastMentorId is null) break;
                (afterExpiresAt, afterMentorId) = (lastExpiresAt, lastMentorId);
                if (count == 0) continue;
                var batchElapsed = Stopwatch.GetElapsedTime(batchStarted);
                MentorStatusTelemetry.BatchDuration.Record(batchElapsed.TotalSeconds);
                MentorStatusTelemetry.MentorsPaused.Add(count);
                batches++;
                paused.AddRange(ids);
                _log.JobBatchCommitted(runId, batches, count, paused.Count, batchElapsed.TotalMilliseconds);
                var report = new JobProgress(runId, batches, count, paused.Count, Math.Max(eligible, paused.Count));
                progress?.Report(report);
                if (_options.AfterBatch is { } hook) await hook(report, ct);
            }
        }
        catch (Exception e)
        {
            // Best effort: a kill never gets here, and the next run marks this one abandoned instead.
            var error = e is OperationCanceledException ? "cancelled" : $"{e.GetType().Name}: {e.Message}";
            if (e is OperationCanceledException) _log.JobRunCancelled(runId, batches);
            else _log.JobRunFailed(e, runId, batches);
            MentorStatusTelemetry.Fail(runActivity, e);
            try { await FinishAsync(runId, "failed", error, CancellationToken.None); }
            catch (NpgsqlException) { /* the original error matters more */ }
            throw;
        }

        var (finishedAt, mentorsPaused, batchCount, notifications) = await FinishAsync(runId, "succeeded", null, ct);
        runActivity?.SetTag("mentorstatus.job.mentors_paused", mentorsPaused).SetTag("mentorstatus.job.batches", batchCount);
        _log.JobRunSucceeded(runId, mentorsPaused, batchCount, notifications);
        return new JobRunResult(runId, instant, startedAt, finishedAt, "succeeded", mentorsPaused, batchCount, notifications, paused, abandoned);
    }

    /// <summary>
    /// Who a run as of <paramref name="asOf"/> would pause now, and who would be told. Changes nothing, so it may
    /// look ahead: an as-of in the future lists who will have expired by then (a run as of it is refused).
    /// </summary>
    public Task<IReadOnlyList<ExpiredMentor>> DryRunAsync(DateTimeOffset? asOf = null, CancellationToken ct = default)
    {
        var instant = asOf ?? _time.GetUtcNow();
        return Transactions.RunAsync<IReadOnlyList<ExpiredMentor>>(dataSource, null, _options.Retry, async (c, token) =>
        {
            await using var command = new NpgsqlCommand(DryRunSql, c) { Parameters = { new() { Value = instant } } };
            await using var reader = await command.ExecuteReaderAsync(token);
            var list = new List<ExpiredMentor>();
            while (await reader.ReadAsync(token))
                list.Add(new ExpiredMentor(reader.GetGuid(0), reader.GetString(1), reader.GetGuid(2), reader.GetFieldValue<DateTimeOffset>(3),
                    reader.GetFieldValue<Guid[]>(4), reader.GetBoolean(5)));
            return list;
        }, ct);
    }

    private Task<int> CountEligibleAsync(DateTimeOffset instant, CancellationToken ct) =>
        Transactions.RunAsync(dataSource, null, _options.Retry, async (c, token) =>
        {
            await using var command = new NpgsqlCommand(CountEligibleSql, c) { Parameters = { new() { Value = instant } } };
            return (int)(await command.ExecuteScalarAsync(token))!;
        }, ct);

    // Marks the run finished; the database then writes its coordinator notifications in the same transaction.
    private Task<(DateTimeOffset FinishedAt, int MentorsPaused, int Batches, int Notifications)> FinishAsync(Guid runId, string outcome, string? error, CancellationToken ct) =>
        Transactions.RunAsync(dataSource, null, _options.Retry, async (c, token) =>
        {
            await using var command = new NpgsqlCommand(FinishRunSql, c)
                { Parameters = { new() { Value = runId }, new() { Value = outcome }, new() { Value = (object?)error ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text } } };
            DateTimeOffset finishedAt;
            int mentorsPaused, batches;
            await using (var reader = await command.ExecuteReaderAsync(token))
            {
                if (!await reader.ReadAsync(token))
                    throw new InvalidOperationException($"job run {runId} was no longer running when it finished (another run marked it abandoned?).");
                (finishedAt, mentorsPaused, batches) = (reader.GetFieldValue<DateTimeOffset>(0), reader.GetInt32(1), reader.GetInt32(2));
            }
            await using var count = new NpgsqlCommand(RunNotificationsSql, c) { Parameters = { new() { Value = runId } } };
            return (finishedAt, mentorsPaused, batches, (int)(await count.ExecuteScalarAsync(token))!);
        }, ct);
}
