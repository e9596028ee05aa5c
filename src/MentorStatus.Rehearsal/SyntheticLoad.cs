using MentorStatus.Database;
using Npgsql;

namespace MentorStatus.Rehearsal;

/// <summary>One call a synthetic client made, in UTC wall-clock time, and the tables it wrote to (or took a writer's lock on).</summary>
internal sealed record ClientOperation(DateTime Start, DateTime End, string Kind, bool Failed)
{
    public double Milliseconds => (End - Start).TotalMilliseconds;
    public IReadOnlyList<uint> Writes { get; init; } = [];
}

/// <summary>
/// N synthetic clients doing what the app does, through the project's own library
/// (<see cref="MentorStatusRepository"/>): each signs in as a mentor (role authenticated with the mentor's
/// JWT claims, so RLS and public.change_mentor_status decide as in production), reads the mentor's timeline
/// (50 newest), then pauses or resumes the mentor, and waits a little. Every call's start and end is kept.
/// Unlike the app, a client waits a lock out (lock_timeout 10 min instead of 5 s and retries).
/// The copy's own rules may refuse a mentor's change (the rate limit, a pause the mentor may not undo, an expired
/// certification): that mentor is then left out, and the client goes on with the others. Besides, a writer probes
/// every table the migration holds a lock on while it holds it: a transaction that takes the lock every writer takes
/// (ROW EXCLUSIVE) and locks a row for update, then rolls back (no row changes, no trigger fires), so every
/// statement that locks a table for longer than a few milliseconds has a write to measure, whatever the app does.
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
        /// <summary>The copy's rules refused this mentor's change: no more changes are tried for it.</summary>
        public bool Refused { get; set; }
    }

    private const string SelectWrittenTables = "select 'public.peer_mentors'::regclass::oid, 'public.peer_mentor_status_history'::regclass::oid";

    /// <summary>The user tables among the relations the migration holds a lock on now.</summary>
    private const string SelectTables = """
        select c.oid, quote_ident(n.nspname) || '.' || quote_ident(c.relname) from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where c.oid = any ($1) and c.relkind in ('r', 'p') and n.nspname not in ('pg_catalog', 'information_schema', 'supabase_migrations')
          and n.nspname !~ '^pg_(toast|temp_)'
        """;

    private readonly NpgsqlDataSource _dataSource;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<List<ClientOperation>> _operations = [];
    private readonly List<Task> _clients = [];
    /// <summary>The start of the call each client (and the write probe) is in now; null between calls.</summary>
    private readonly List<DateTime?> _inFlight = [];
    private uint[] _appWrites = [];
    private DateTime? _stoppedEarly;

    public int Clients { get; }

    /// <summary>When a client ended before the load was stopped (an error it could not go on from); null: none did.</summary>
    public DateTime? StoppedEarly { get { lock (_operations) return _stoppedEarly; } }

    private SyntheticLoad(NpgsqlDataSource dataSource, int clients) => (_dataSource, Clients) = (dataSource, clients);

    /// <param name="migrationLocks">The relations the migration holds a lock on now (the monitor's latest sample).</param>
    public static async Task<SyntheticLoad> StartAsync(DatabaseTarget target, int clients, Func<IReadOnlyCollection<uint>> migrationLocks, CancellationToken ct)
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
        await using (var command = dataSource.CreateCommand(SelectWrittenTables))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            await reader.ReadAsync(ct);
            load._appWrites = [reader.GetFieldValue<uint>(0), reader.GetFieldValue<uint>(1)];
        }
        // The app gives up on a lock after 5 s and retries; here a client waits the lock out, so that one wait
        // measures the whole time the migration blocked it (and agrees with what the server saw).
        var repository = new MentorStatusRepository(dataSource, RetryOptions.Default with { LockTimeout = TimeSpan.FromMinutes(10) });
        for (var c = 0; c < clients; c++)
        {
            // Disjoint mentors per client: the clients never wait for each other, only for the migration.
            var own = mentors.Where((_, i) => i % clients == c).ToList();
            var log = new List<ClientOperation>();
            load._operations.Add(log);
            load._inFlight.Add(null);
            var slot = c;
            load._clients.Add(load.Watched(() => load.RunClientAsync(repository, own, log, slot))); // stopped by StopAsync, not by the caller's token
        }
        var probes = new List<ClientOperation>();
        load._operations.Add(probes);
        load._inFlight.Add(null);
        load._clients.Add(load.Watched(() => load.ProbeWritersAsync(migrationLocks, probes, clients)));
        return load;
    }

    /// <summary>Runs a client; one that ends before the load is stopped is noted (the statements after it are not measured).</summary>
    private Task Watched(Func<Task> client) => Task.Run(async () =>
    {
        try
        {
            await client();
        }
        catch (Exception)
        {
            // stopping (a cancelled query) or an error the client cannot go on from: either way it has ended
        }
        if (!_stop.IsCancellationRequested)
            lock (_operations) _stoppedEarly ??= DateTime.UtcNow;
    }, CancellationToken.None);

    /// <summary>
    /// Takes a writer's lock (ROW EXCLUSIVE, and a row FOR NO KEY UPDATE) on each table the migration holds a lock on,
    /// in a transaction of its own that it rolls back: it waits exactly as long as a writer of that table would.
    /// </summary>
    private async Task ProbeWritersAsync(Func<IReadOnlyCollection<uint>> migrationLocks, List<ClientOperation> log, int slot)
    {
        var ct = _stop.Token;
        await using var connection = await _dataSource.OpenConnectionAsync(ct);
        while (!ct.IsCancellationRequested)
        {
            var held = migrationLocks();
            var tables = new List<(uint Oid, string Name)>();
            if (held.Count > 0)
            {
                await using var command = new NpgsqlCommand(SelectTables, connection) { Parameters = { new() { Value = held.ToArray() } } };
                await using var reader = await command.ExecuteReaderAsync(ct);
                while (await reader.ReadAsync(ct)) tables.Add((reader.GetFieldValue<uint>(0), reader.GetString(1)));
            }
            foreach (var (oid, name) in tables)
            {
                var start = DateTime.UtcNow;
                SetInFlight(slot, start);
                var failed = false;
                try
                {
                    await using var transaction = await connection.BeginTransactionAsync(ct);
                    await using (var command = new NpgsqlCommand($"lock table {name} in row exclusive mode; select 1 from {name} limit 1 for no key update", connection, transaction))
                        await command.ExecuteNonQueryAsync(ct);
                    await transaction.RollbackAsync(ct);
                }
                catch (PostgresException) when (!ct.IsCancellationRequested)
                {
                    failed = true; // the table went (dropped by the migration): not a write
                }
                lock (log) log.Add(new ClientOperation(start, DateTime.UtcNow, "write probe", failed) { Writes = failed ? [] : [oid] });
                SetInFlight(slot, null);
            }
            await Task.Delay(tables.Count == 0 ? TimeSpan.FromMilliseconds(5) : ThinkTime, ct);
        }
    }

    private async Task RunClientAsync(MentorStatusRepository repository, List<Mentor> mentors, List<ClientOperation> log, int slot)
    {
        var ct = _stop.Token;
        for (var i = 0; !ct.IsCancellationRequested; i++)
        {
            var mentor = mentors[i % mentors.Count];
            var caller = Caller.User(mentor.UserId);
            if (!await TimedAsync(log, slot, "timeline", () => repository.GetTimelineAsync(caller, mentor.Id, 50, null, ct), [])) return;
            if (!mentor.Refused)
            {
                var (next, reason) = mentor.Status == MentorState.Active ? (MentorState.Paused, "self_pause") : (MentorState.Active, "self_resume");
                var refused = false;
                if (!await TimedAsync(log, slot, "change_mentor_status", () => repository.ChangeStatusAsync(caller, mentor.Id, next, reason, ct), _appWrites,
                        onRefused: () => refused = true)) return;
                if (refused) mentor.Refused = true; // the copy's rules say no for this mentor: not tried again
                else mentor.Status = next;
            }
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
    /// <param name="writes">The tables the call writes when it succeeds.</param>
    private async Task<bool> TimedAsync(List<ClientOperation> log, int slot, string kind, Func<Task> call, uint[] writes, Action? onRefused = null)
    {
        var start = DateTime.UtcNow;
        SetInFlight(slot, start);
        var failed = false;
        try
        {
            await call();
        }
        catch (Exception) when (_stop.IsCancellationRequested)
        {
            SetInFlight(slot, null);
            return false;
        }
        catch (MentorStatusException)
        {
            failed = true; // refused by the copy's rules: still a call the user waited for, but it wrote nothing
            onRefused?.Invoke();
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            failed = true; // a timed-out call is still a call the user waited for
        }
        lock (log) log.Add(new ClientOperation(start, DateTime.UtcNow, kind, failed) { Writes = failed ? [] : writes });
        SetInFlight(slot, null);
        return true;
    }

    private void SetInFlight(int slot, DateTime? since)
    {
        lock (_inFlight) _inFlight[slot] = since;
    }

    /// <summary>
    /// Waits until no call that started before <paramref name="moment"/> is still running (a client that waited for
    /// the migration's last commit ends its call right after it), at most <paramref name="limit"/>.
    /// </summary>
    public async Task WaitForCallsStartedBeforeAsync(DateTime moment, TimeSpan limit, CancellationToken ct)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.Elapsed < limit)
        {
            lock (_inFlight)
                if (!_inFlight.Any(since => since < moment)) return;
            await Task.Delay(5, ct);
        }
    }

    /// <summary>Every call so far, from every client.</summary>
    public IReadOnlyList<ClientOperation> Operations()
    {
        var all = new List<ClientOperation>();
        foreach (var log in _operations)
            lock (log) all.AddRange(log);
        return all;
    }

    public Task StopAsync() => BackgroundTasks.CancelAndAwaitAsync(_stop, Task.WhenAll(_clients));

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
