using System.Buffers.Text;
using System.Globalization;
using System.Text;
using MentorStatus.Diagnostics;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace MentorStatus;

/// <summary>One record of public.peer_mentor_status_history.</summary>
public sealed record StatusChange(
    Guid Id, Guid MentorId, MentorState? PreviousStatus, MentorState NewStatus,
    Guid? ChangedBy, DateTimeOffset ChangedAt, string? Reason, Guid? JobRunId);

/// <summary>One page of a timeline, newest first. <see cref="NextCursor"/> is null on the last page.</summary>
public sealed record TimelinePage(IReadOnlyList<StatusChange> Items, string? NextCursor);

/// <summary>A mentor's current status as public.peer_mentors holds it.</summary>
public sealed record MentorCurrentStatus(
    Guid MentorId, string DisplayName, MentorState Status, DateTimeOffset? StatusChangedAt, DateTimeOffset? CertificationExpiresAt);

/// <summary>A status change the caller may make now (public.allowed_status_changes): for the UI to offer only these.</summary>
public sealed record AllowedStatusChange(string ReasonCode, MentorState NewStatus, string Description);

/// <summary>
/// Reads and changes mentor statuses. Every call is one transaction as the given <see cref="Caller"/>:
/// for a user, role authenticated with their JWT claims, so row-level security decides what they see
/// and public.change_mentor_status decides what they may change; for the service, service_role.
/// Every call is one round trip: begin, the caller's settings, the statement and commit go out as one
/// batch (see <see cref="Transactions.RunOneTripAsync{T}"/>). With a <see cref="ReadReplica"/>, reads go to the
/// standby and writes to the primary, with read-your-writes for the caller who changed a status.
/// </summary>
public sealed class MentorStatusRepository(
    NpgsqlDataSource dataSource, RetryOptions? retry = null, ReadReplica? replica = null, ILogger<MentorStatusRepository>? logger = null)
{
    private const string HistoryColumns = "id, mentor_id, previous_status, new_status, changed_by, changed_at, reason, job_run_id";

    private const string ChangeAsUserSql =
        $"select {HistoryColumns} from public.change_mentor_status($1, $2, $3)";

    private const string ChangeAsServiceSql =
        $"select {HistoryColumns} from mentor_status_private.record_system_status_change($1, $2, $3, null, $4)";

    // Keyset paging: (changed_at, id) strictly below the cursor, never OFFSET. The timeline index
    // (mentor_id, changed_at desc) serves it; id only breaks ties of changed_at. The service reads the
    // table (service_role bypasses RLS).
    private const string TimelineSql = $"""
        select {HistoryColumns}
        from public.peer_mentor_status_history
        where mentor_id = $1
          and ($2::timestamptz is null or (changed_at, id) < ($2::timestamptz, $3::uuid))
        order by changed_at desc, id desc
        limit $4
        """;

    // A user reads through the timeline's own definer helper: the history policy's rule checked for this
    // one mentor, then the same keyset read. Under the table's policy the check would build the array of
    // every mentor the caller may see first (several times the read itself; figures in BENCHMARKS.md).
    // The private helper directly, not the public.mentor_timeline rpc wrapper: one function call less.
    private const string UserTimelineSql =
        $"select {HistoryColumns} from mentor_status_private.mentor_timeline($1, $2, $3, $4)";

    private const string JobRunSql = $"""
        select {HistoryColumns}
        from public.peer_mentor_status_history
        where job_run_id = $1
        order by changed_at, id
        """;

    private const string AllowedChangesSql = "select reason_code, new_status, description from public.allowed_status_changes($1)";

    private const string CurrentStatusSql = """
        select id, display_name, status, status_changed_at, certification_expires_at
        from public.peer_mentors
        where id = any ($1)
          and deleted_at is null
        """;

    private readonly RetryOptions _retry = retry ?? RetryOptions.Default;

    /// <summary>
    /// Changes a status. A user goes through public.change_mentor_status (their own mentor codes, or
    /// coordinator codes for mentors of their chapters); the service through the system path (system codes
    /// only, changed_by NULL). Returns the history record written.
    /// </summary>
    public async Task<StatusChange> ChangeStatusAsync(Caller caller, Guid mentorId, MentorState newStatus, string reason, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        using var activity = MentorStatusTelemetry.StartStatusChange(mentorId, newStatus, reason);
        try
        {
            var change = await Transactions.RunOneTripAsync(dataSource, caller, _retry,
                caller is Caller.UserCaller ? ChangeAsUserSql : ChangeAsServiceSql,
                p =>
                {
                    p.Add(new NpgsqlParameter<Guid> { TypedValue = mentorId });
                    p.Add(new NpgsqlParameter<MentorState> { TypedValue = newStatus });
                    p.Add(new NpgsqlParameter<string> { TypedValue = reason });
                    // no job run: the system path records which service made the change
                    if (caller is Caller.ServiceCaller service) p.Add(new NpgsqlParameter<string> { TypedValue = service.Name });
                },
                static async (reader, token) =>
                {
                    await reader.ReadAsync(token);
                    return ReadChange(reader);
                }, ct,
                replica is null ? null : lsn => replica.RecordWrite(caller, lsn), logger);
            MentorStatusTelemetry.RecordStatusChange(caller, newStatus, activity);
            return change;
        }
        catch (NpgsqlException e) when (Transactions.IsLostConnection(e))
        {
            // not retried: the commit may have reached the server before the connection broke
            var unknown = new StatusChangeOutcomeUnknownException(
                $"the connection to the database was lost during the status change of mentor {mentorId} ({e.Message}); it may or may not " +
                "have been committed. Read the mentor's timeline (or current status) before trying again.", e) { SqlState = (e as PostgresException)?.SqlState };
            MentorStatusTelemetry.Fail(activity, unknown);
            throw unknown;
        }
        catch (PostgresException e) when (ForRequest(e, mentorId, reason) is { } mapped)
        {
            MentorStatusTelemetry.Fail(activity, mapped);
            throw mapped;
        }
        catch (Exception e)
        {
            MentorStatusTelemetry.Fail(activity, e);
            throw;
        }
    }

    /// <summary>
    /// A mentor's history, newest first, <paramref name="limit"/> records per page. Pass the previous page's
    /// <see cref="TimelinePage.NextCursor"/> to continue. A mentor the caller may not see has an empty timeline.
    /// </summary>
    public Task<TimelinePage> GetTimelineAsync(Caller caller, Guid mentorId, int limit = 50, string? cursor = null, CancellationToken ct = default)
    {
        // Arguments are judged before the task starts (thrown to the caller at once, as the other reads do).
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, 1000);
        var after = cursor is null ? ((DateTimeOffset, Guid)?)null : TimelineCursor.Decode(cursor);
        return MentorStatusTelemetry.TraceReadAsync(
            () => MentorStatusTelemetry.StartRead(MentorStatusTelemetry.Spans.ReadTimeline, caller)?.SetTag("mentorstatus.mentor_id", mentorId),
            () => ReadTimelineAsync(caller, mentorId, limit, after, ct), page => page.Items.Count);
    }

    /// <summary>The timeline read itself; <see cref="GetTimelineAsync"/> runs it inside its span.</summary>
    private Task<TimelinePage> ReadTimelineAsync(Caller caller, Guid mentorId, int limit, (DateTimeOffset, Guid)? after, CancellationToken ct)
    {
        return ReadAsync(caller, caller is Caller.UserCaller ? UserTimelineSql : TimelineSql,
            p =>
            {
                p.Add(new NpgsqlParameter<Guid> { TypedValue = mentorId });
                p.Add(new NpgsqlParameter { Value = after is { } a1 ? a1.Item1 : DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
                p.Add(new NpgsqlParameter { Value = after is { } a2 ? a2.Item2 : DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid });
                p.Add(new NpgsqlParameter<int> { TypedValue = limit + 1 }); // one more tells whether another page exists
            },
            async (reader, token) =>
            {
                var items = await ReadChangesAsync(reader, token);
                if (items.Count <= limit) return new TimelinePage(items, null);
                items.RemoveAt(limit);
                var last = items[^1];
                return new TimelinePage(items, TimelineCursor.Encode(last.ChangedAt, last.Id));
            }, ct, mentorId);
    }

    /// <summary>Every status change a job run made, in the order it made them.</summary>
    public Task<IReadOnlyList<StatusChange>> GetJobRunChangesAsync(Caller caller, Guid jobRunId, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(caller);
        return MentorStatusTelemetry.TraceReadAsync(
            () => MentorStatusTelemetry.StartRead(MentorStatusTelemetry.Spans.ReadJobRunChanges, caller)?.SetTag("mentorstatus.job.run_id", jobRunId),
            () => ReadAsync<IReadOnlyList<StatusChange>>(caller, JobRunSql,
                p => p.Add(new NpgsqlParameter<Guid> { TypedValue = jobRunId }),
                static async (reader, token) => await ReadChangesAsync(reader, token), ct),
            changes => changes.Count);
    }

    /// <summary>
    /// What a signed-in user may do to this mentor now, under public.mentor_status_rules (their relation to the mentor,
    /// the mentor's status and the cause of the pause, their own rate limit). Empty for a mentor they may not see.
    /// Only for a user: the service changes statuses with system codes and has no rules to offer.
    /// </summary>
    public Task<IReadOnlyList<AllowedStatusChange>> GetAllowedStatusChangesAsync(Caller caller, Guid mentorId, CancellationToken ct = default)
    {
        if (caller is not Caller.UserCaller)
            throw new ArgumentException("allowed status changes are answered for a signed-in user only: pass Caller.User(userId).", nameof(caller));
        return MentorStatusTelemetry.TraceReadAsync(
            () => MentorStatusTelemetry.StartRead(MentorStatusTelemetry.Spans.ReadAllowedChanges, caller)?.SetTag("mentorstatus.mentor_id", mentorId),
            () => ForRequestAsync(() => Transactions.ReadAgainOnLostConnectionAsync(dataSource, () => Transactions.RunAsync<IReadOnlyList<AllowedStatusChange>>(dataSource, caller, _retry, async (connection, token) =>
            {
                await using var command = new NpgsqlCommand(AllowedChangesSql, connection) { Parameters = { new() { Value = mentorId } } };
                await using var reader = await command.ExecuteReaderAsync(token);
                var list = new List<AllowedStatusChange>();
                while (await reader.ReadAsync(token))
                    list.Add(new AllowedStatusChange(reader.GetString(0), reader.GetFieldValue<MentorState>(1), reader.GetString(2)));
                return list;
            }, ct), logger, ct), mentorId),
            changes => changes.Count);
    }

    /// <summary>Current status of many mentors in one round trip. Mentors not found (or not visible) are absent.</summary>
    public Task<IReadOnlyDictionary<Guid, MentorCurrentStatus>> GetCurrentStatusesAsync(Caller caller, IReadOnlyCollection<Guid> mentorIds, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var ids = mentorIds.Distinct().ToArray();
        // the ids are not tagged (a span tag is no place for a list); how many were asked for is
        return MentorStatusTelemetry.TraceReadAsync(
            () => MentorStatusTelemetry.StartRead(MentorStatusTelemetry.Spans.ReadCurrentStatuses, caller)?.SetTag("mentorstatus.read.requested", ids.Length),
            () => ReadAsync<IReadOnlyDictionary<Guid, MentorCurrentStatus>>(caller, CurrentStatusSql,
                p => p.Add(new NpgsqlParameter<Guid[]> { TypedValue = ids }),
                static async (reader, token) =>
                {
                    var result = new Dictionary<Guid, MentorCurrentStatus>();
                    while (await reader.ReadAsync(token))
                        result[reader.GetGuid(0)] = new MentorCurrentStatus(reader.GetGuid(0), reader.GetString(1), reader.GetFieldValue<MentorState>(2),
                            reader.IsDBNull(3) ? null : reader.GetFieldValue<DateTimeOffset>(3),
                            reader.IsDBNull(4) ? null : reader.GetFieldValue<DateTimeOffset>(4));
                    return result;
                }, ct),
            statuses => statuses.Count);
    }

    /// <summary>A read: on the standby when there is one and it may serve this caller now, else (or when it fails to answer) on the primary.</summary>
    private async Task<T> ReadAsync<T>(Caller caller, string sql, Action<NpgsqlParameterCollection> bind,
        Func<NpgsqlDataReader, CancellationToken, Task<T>> read, CancellationToken ct, Guid? mentorId = null)
    {
        try
        {
            if (replica is not null && await replica.ChooseAsync(caller, ct) is { } standby)
            {
                try
                {
                    var result = await Transactions.RunOneTripAsync(standby, caller, _retry, sql, bind, read, ct);
                    replica.Served();
                    return result;
                }
                catch (Exception e) when (ReadReplica.IsUnavailable(e))
                {
                    replica.MarkDown(); // and read from the primary below
                }
            }
            return await Transactions.ReadAgainOnLostConnectionAsync(dataSource,
                () => Transactions.RunOneTripAsync(dataSource, caller, _retry, sql, bind, read, ct), logger, ct);
        }
        catch (PostgresException e) when (ForRequest(e, mentorId) is { } mapped)
        {
            throw mapped;
        }
    }

    /// <summary>
    /// MS404 and MS422 as typed exceptions naming the mentor and the reason asked for (the transaction helper leaves
    /// them as <see cref="PostgresException"/>: it knows neither), or null.
    /// </summary>
    private static MentorStatusException? ForRequest(PostgresException e, Guid? mentorId, string? reason = null) => e.SqlState switch
    {
        "MS404" => new MentorNotFoundException(mentorId ?? Guid.Empty, Transactions.Text(e), e) { SqlState = e.SqlState },
        "MS422" => new UnknownReasonCodeException(reason ?? "", Transactions.Text(e), e) { SqlState = e.SqlState },
        _ => null,
    };

    private static async Task<T> ForRequestAsync<T>(Func<Task<T>> call, Guid mentorId)
    {
        try
        {
            return await call();
        }
        catch (PostgresException e) when (ForRequest(e, mentorId) is { } mapped)
        {
            throw mapped;
        }
    }

    private static async Task<List<StatusChange>> ReadChangesAsync(NpgsqlDataReader reader, CancellationToken ct)
    {
        var list = new List<StatusChange>();
        while (await reader.ReadAsync(ct)) list.Add(ReadChange(reader));
        return list;
    }

    internal static StatusChange ReadChange(NpgsqlDataReader r) => new(
        r.GetGuid(0), r.GetGuid(1),
        r.IsDBNull(2) ? null : r.GetFieldValue<MentorState>(2),
        r.GetFieldValue<MentorState>(3),
        r.IsDBNull(4) ? null : r.GetGuid(4),
        r.GetFieldValue<DateTimeOffset>(5),
        r.IsDBNull(6) ? null : r.GetString(6),
        r.IsDBNull(7) ? null : r.GetGuid(7));
}

/// <summary>An opaque page cursor: the (changed_at, id) of the last record shown, base64url encoded.</summary>
internal static class TimelineCursor
{
    public static string Encode(DateTimeOffset changedAt, Guid id) =>
        Base64Url.EncodeToString(Encoding.UTF8.GetBytes($"{changedAt.UtcTicks.ToString(CultureInfo.InvariantCulture)}:{id:N}"));

    /// <summary>The position a cursor names; anything not made by <see cref="Encode"/> is an ArgumentException naming the cursor.</summary>
    public static (DateTimeOffset ChangedAt, Guid Id) Decode(string cursor)
    {
        byte[] bytes;
        try
        {
            bytes = Base64Url.DecodeFromChars(cursor);
        }
        catch (FormatException e)
        {
            throw NotOurs(cursor, e);
        }
        // TryParse throughout: an overflowing tick count or a bad id is the same bad cursor, never an OverflowException.
        var parts = Encoding.UTF8.GetString(bytes).Split(':');
        if (parts.Length == 2
            && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
            && ticks <= DateTimeOffset.MaxValue.UtcTicks
            && Guid.TryParseExact(parts[1], "N", out var id))
            return (new DateTimeOffset(ticks, TimeSpan.Zero), id);
        throw NotOurs(cursor, null);
    }

    private static ArgumentException NotOurs(string cursor, Exception? inner) =>
        new($"cursor \"{(cursor.Length > 60 ? cursor[..60] + "…" : cursor)}\" is not one this program handed out; start again without a cursor.",
            nameof(cursor), inner);
}
