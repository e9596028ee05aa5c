using Npgsql;

namespace MentorStatus.Database.Rehearsal;

/// <summary>One call a synthetic client made, in UTC wall-clock time.</summary>
internal sealed record ClientOperation(DateTime Start, DateTime End, string Kind, bool Failed)
{
    public double Milliseconds => (End - Start).TotalMilliseconds;
}

/// <summary>
/// N synthetic clients doing what the app does, through the project's own library
/// (<see cref="MentorStatusRepository"/>): each signs in as a mentor (role authenticated with the mentor's
/// JWT claims, so RLS and public.change_mentor_status decide as in production), reads the mentor's timeline
/// (50 newest), then pauses or resumes the mentor, and waits a little. Every call's start and end is kept.
/// Unlike the app, a client waits a lock out (lock_timeout 10 min instead of 5 s and retries).
/// </summary>
internal sealed class SyntheticLoad : IAsyncDisposable
{
    /// <summary>Pause between two calls of a client: a busy app, not a benchmark that starves the migration of CPU.</summary>
    public static readonly TimeSpan ThinkTime = TimeSpan.FromMilliseconds(10);

    private const string SelectMentors = """
        select id, user_id, status::text from public.peer_mentors
        where user_id is not null and deleted_at is null and status in ('active', 'paused')
        order by md5(id::text) limit 4000
        """;

    private sealed class Mentor(Guid id, Guid userId, MentorState status)
    {
        public Guid Id { get; } = id;
        public Guid UserId { get; } = userId;
        public MentorState Status { get; set; } = status;
    }

    private readonly NpgsqlDataSource _dataSource;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<List<ClientOperation>> _operations = [];
    private readonly List<Task> _clients = [];

    public int Clients { get; }

    private SyntheticLoad(NpgsqlDataSource dataSource, int clients) => (_dataSource, Clients) = (dataSource, clients);

    public static async Task<SyntheticLoad> StartAsync(DatabaseTarget target, int clients, CancellationToken ct)
    {
        var dataSource = MentorStatusDataSource.Create(new NpgsqlConnectionStringBuilder(target.ConnectionString)
        {
            MaxPoolSize = clients + 2, ApplicationName = "mentorstatus-rehearse-load", CommandTimeout = 0,
        }.ConnectionString);
        var mentors = new List<Mentor>();
        try
        {
            await using var command = dataSource.CreateCommand(SelectMentors);
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
                mentors.Add(new Mentor(reader.GetGuid(0), reader.GetGuid(1), reader.GetString(2) == "active" ? MentorState.Active : MentorState.Paused));
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.UndefinedColumn)
        {
            await dataSource.DisposeAsync();
            throw new RehearsalException($"--load needs the project's peer_mentors table in the copy ({e.MessageText}); run without --load to rehearse another schema.");
        }
        if (mentors.Count < clients)
        {
            await dataSource.DisposeAsync();
            throw new RehearsalException(
                $"--load {clients} needs at least {clients} active or paused mentors with a user account in the copy, found {mentors.Count}; " +
                "lower --load, or copy more data (a larger --sample).");
        }
        var load = new SyntheticLoad(dataSource, clients);
        // The app gives up on a lock after 5 s and retries; here a client waits the lock out, so that one wait
        // measures the whole time the migration blocked it (and agrees with what the server saw).
        var repository = new MentorStatusRepository(dataSource, RetryOptions.Default with { LockTimeout = TimeSpan.FromMinutes(10) });
        for (var c = 0; c < clients; c++)
        {
            // Disjoint mentors per client: the clients never wait for each other, only for the migration.
            var own = mentors.Where((_, i) => i % clients == c).ToList();
            var log = new List<ClientOperation>();
            load._operations.Add(log);
            load._clients.Add(Task.Run(() => load.RunClientAsync(repository, own, log), CancellationToken.None)); // stopped by StopAsync, not by the caller's token
        }
        return load;
    }

    private async Task RunClientAsync(MentorStatusRepository repository, List<Mentor> mentors, List<ClientOperation> log)
    {
        var ct = _stop.Token;
        for (var i = 0; !ct.IsCancellationRequested; i++)
        {
            var mentor = mentors[i % mentors.Count];
            var caller = Caller.User(mentor.UserId);
            if (!await TimedAsync(log, "timeline", () => repository.GetTimelineAsync(caller, mentor.Id, 50, null, ct))) return;
            var (next, reason) = mentor.Status == MentorState.Active ? (MentorState.Paused, "self_pause") : (MentorState.Active, "self_resume");
            if (!await TimedAsync(log, "change_mentor_status", () => repository.ChangeStatusAsync(caller, mentor.Id, next, reason, ct))) return;
            mentor.Status = next;
            try
            {
                await Task.Delay(ThinkTime, ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Runs and records one call; false when the load is stopping (that call is not counted).</summary>
    private async Task<bool> TimedAsync(List<ClientOperation> log, string kind, Func<Task> call)
    {
        var start = DateTime.UtcNow;
        var failed = false;
        try
        {
            await call();
        }
        catch (Exception) when (_stop.IsCancellationRequested)
        {
            return false;
        }
        catch (Exception e) when (e is MentorStatusException or NpgsqlException or TimeoutException)
        {
            failed = true; // a refused or timed-out call is still a call the user waited for
        }
        lock (log) log.Add(new ClientOperation(start, DateTime.UtcNow, kind, failed));
        return true;
    }

    /// <summary>Every call so far, from every client.</summary>
    public IReadOnlyList<ClientOperation> Operations()
    {
        var all = new List<ClientOperation>();
        foreach (var log in _operations)
            lock (log) all.AddRange(log);
        return all;
    }

    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_clients);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_stop.IsCancellationRequested) await StopAsync();
        }
        finally
        {
            // closed even when stopping failed, so a failed stop leaks no connection
            await _dataSource.DisposeAsync();
            _stop.Dispose();
        }
    }
}
