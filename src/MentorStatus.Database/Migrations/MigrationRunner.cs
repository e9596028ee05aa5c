using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace MentorStatus.Database.Migrations;

public sealed record MigrationOptions
{
    /// <summary>Apply pending migrations older than the newest applied one (the Supabase CLI's --include-all).</summary>
    public bool IncludeAll { get; init; }
    /// <summary>How long one DDL statement may wait for a table lock before it gives up (PostgreSQL lock_timeout).</summary>
    public TimeSpan LockTimeout { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>How long to wait for another runner that holds the migration lock.</summary>
    public TimeSpan LockWait { get; init; } = TimeSpan.FromSeconds(60);
    /// <summary>
    /// The journal is shared with migrations this source does not have (a library's embedded schema beside the
    /// application's own migrations): versions applied that are not here are not an error, and this source's pending
    /// files run even when older than the newest applied (their versions interleave with the application's).
    /// </summary>
    public bool SharedJournal { get; init; }
    /// <summary>Per-statement hooks (`db rehearse` measures each statement); null for `db up` itself.</summary>
    public IMigrationObserver? Observer { get; init; }
}

/// <summary>What happened to one file.</summary>
public sealed record MigrationResult(string Version, string Name, MigrationAction Action, int Statements, TimeSpan Duration, string? Note = null);

/// <summary>
/// Applies and reverts migrations. Every file runs in one transaction together with its journal row,
/// except a file of one non-transactional statement, which runs alone and is journaled after it succeeds.
/// A session advisory lock keeps two runners from interleaving; a transaction pooler, where that lock would outlive the
/// runner on a pooled server connection, is refused before the lock is taken. Each file applied, skipped or failed is
/// logged to <paramref name="logger"/> (version, duration, SQLSTATE; never the connection string).
/// </summary>
public sealed class MigrationRunner(NpgsqlDataSource dataSource, MigrationSource source, MigrationOptions? options = null,
    IProgress<string>? progress = null, ILogger? logger = null)
{
    /// <summary>
    /// Advisory lock key, fixed forever: the ASCII bytes of "MSMIGRAT" read as one big-endian bigint. PostgreSQL
    /// shows a bigint key in pg_locks as classid = its high 32 bits, objid = its low 32 bits, objsubid = 1.
    /// </summary>
    public const long AdvisoryLockKey = 0x4d53_4d49_4752_4154;

    private const string TryLock = "select pg_try_advisory_lock($1)";
    private const string Unlock = "select pg_advisory_unlock($1)";
    private const string LockHolder = """
        select pid from pg_locks
        where locktype = 'advisory' and granted and classid = ($1 >> 32)::oid and objid = ($1 & 4294967295)::oid and objsubid = 1
          and database = (select oid from pg_database where datname = current_database()) -- advisory locks are per database
        limit 1
        """;
    private const string IndexValidity = """
        select i.indisvalid from pg_index i where i.indexrelid = to_regclass($1)
        """;

    private readonly MigrationOptions _options = options ?? new MigrationOptions();
    private readonly ILogger _log = logger ?? NullLogger.Instance;

    public async Task<MigrationPlan> PlanAsync(CancellationToken ct = default)
    {
        var local = source.LoadMigrations();
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return new MigrationPlan(local, await MigrationJournal.ReadAsync(connection, ct), source);
    }

    public async Task<IReadOnlyList<MigrationResult>> UpAsync(CancellationToken ct = default)
    {
        var local = source.LoadMigrations(); // parse and check every file before touching the database
        return await WithLockAsync(async connection =>
        {
            var plan = new MigrationPlan(local, await MigrationJournal.ReadAsync(connection, ct), source);
            var results = new List<MigrationResult>();
            var pending = plan.CheckUp(_options.IncludeAll || _options.SharedJournal, allowUnknownApplied: _options.SharedJournal);
            if (_log.IsEnabled(LogLevel.Debug))
                foreach (var file in local.Where(f => !pending.Contains(f)))
                    _log.FileSkipped(file.Version, file.Name);
            foreach (var file in pending)
                results.Add(await ApplyAsync(connection, file, MigrationAction.Applied, MigrationJournal.InsertAsync, ct));
            return results;
        }, ct);
    }

    /// <summary>Reverts the newest <paramref name="last"/> applied migrations with their rollback scripts.</summary>
    public async Task<IReadOnlyList<MigrationResult>> DownAsync(int last, CancellationToken ct = default)
    {
        if (last < 1) throw new MigrationException("--last must be at least 1.");
        return await WithLockAsync(async connection =>
        {
            var applied = await MigrationJournal.ReadAsync(connection, ct);
            var targets = applied.Select(a => a.Version).Order(StringComparer.Ordinal).Reverse().Take(last).ToList();
            var rollbacks = targets.Select(source.LoadRollback).ToList(); // all present and valid, or nothing runs
            var results = new List<MigrationResult>();
            foreach (var rollback in rollbacks)
                results.Add(await ApplyAsync(connection, rollback, MigrationAction.Reverted,
                    (c, f, t) => MigrationJournal.DeleteAsync(c, f.Version, t), ct));
            return results;
        }, ct);
    }

    /// <summary>Like `supabase migration repair`: records a version as applied (from its local file) or reverted, running no migration SQL.</summary>
    public async Task RepairAsync(string version, bool applied, CancellationToken ct = default)
    {
        var file = RepairFile(version, applied);
        await WithLockAsync(async connection =>
        {
            if (file is not null) await MigrationJournal.UpsertAsync(connection, file, ct);
            else await MigrationJournal.DeleteAsync(connection, version, ct);
            return 0;
        }, ct);
    }

    /// <summary>Checks a repair's input without touching the database: the file to record as applied, or null for reverted.</summary>
    /// <exception cref="MigrationException">Not a version, or (applied) no local file has it.</exception>
    internal MigrationFile? RepairFile(string version, bool applied)
    {
        if (!MigrationFile.FileNamePattern().IsMatch(version + "_x.sql"))
            throw new MigrationException($"'{version}' is not a migration version: a version is the digits before the first '_' of a migration file name, e.g. 20261101000000.");
        return applied
            ? source.LoadMigrations().FirstOrDefault(f => f.Version == version)
              ?? throw new MigrationException($"no local migration has version {version}; `repair --status applied` records a local file as applied.")
            : null;
    }

    /// <summary>Runs supabase/seed.sql in one transaction and records it in seed_files, as the CLI does.</summary>
    public async Task<MigrationResult?> SeedAsync(CancellationToken ct = default)
    {
        if (source.IsEmbedded) return null; // a library's embedded schema has no seed
        var path = source.Layout.SeedFile;
        if (!File.Exists(path)) return null;
        var seed = MigrationFile.Load(path, source.Layout.Display(path), requireVersionedName: false);
        return await WithLockAsync(connection => ApplyAsync(connection, seed, MigrationAction.Seeded,
            (c, f, t) => MigrationJournal.RecordSeedAsync(c, source.Layout.Display(path), f.Sha256, t), ct), ct);
    }

    private async Task<T> WithLockAsync<T>(Func<NpgsqlConnection, Task<T>> work, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        // before the lock: through a transaction pooler it would outlive this runner on a pooled server connection
        await TransactionPoolerCheck.RefuseAsync(connection, "the migration runner", ct);
        await AcquireLockAsync(connection, ct);
        var completed = false;
        try
        {
            await MigrationJournal.EnsureAsync(connection, ct);
            await ResetSessionAsync(connection, ct);
            var result = await work(connection);
            completed = true;
            return result;
        }
        finally
        {
            if (connection.State == System.Data.ConnectionState.Open)
            {
                try
                {
                    await SqlCommands.ExecuteAsync(connection, Unlock, CancellationToken.None, AdvisoryLockKey);
                }
                catch (NpgsqlException) when (!completed)
                {
                    // the work's failure says what went wrong; the lock ends with the session, which the pool now closes
                    NpgsqlConnection.ClearPool(connection);
                }
            }
        }
    }

    private async Task AcquireLockAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        var waited = Stopwatch.StartNew();
        var reported = false;
        while (true)
        {
            if (await SqlCommands.ScalarAsync<bool>(connection, TryLock, ct, AdvisoryLockKey)) return;
            var holder = await SqlCommands.ScalarAsync<int?>(connection, LockHolder, ct, AdvisoryLockKey);
            if (waited.Elapsed >= _options.LockWait) throw new MigrationLockTimeoutException(waited.Elapsed, holder);
            if (!reported)
            {
                _log.WaitingForLock(holder);
                progress?.Report($"waiting for another migration runner (server pid {holder?.ToString(CultureInfo.InvariantCulture) ?? "?"}) to finish…");
                reported = true;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(200), ct);
        }
    }

    /// <summary>Undo whatever SET a previous file left on the session, then apply our own settings.</summary>
    private async Task ResetSessionAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        await SqlCommands.ExecuteAsync(connection, "reset all", ct);
        await SqlCommands.ExecuteAsync(connection, $"set lock_timeout = {(long)_options.LockTimeout.TotalMilliseconds}", ct);
        await SqlCommands.ExecuteAsync(connection, "set statement_timeout = 0", ct);
    }

    private delegate Task JournalStep(NpgsqlConnection connection, MigrationFile file, CancellationToken ct);

    private async Task<MigrationResult> ApplyAsync(NpgsqlConnection connection, MigrationFile file, MigrationAction action, JournalStep journal, CancellationToken ct)
    {
        progress?.Report($"{Ongoing(action)} {file.DisplayPath}…");
        var clock = Stopwatch.StartNew();
        try
        {
            return await ApplyTimedAsync(connection, file, action, journal, clock, ct);
        }
        catch (MigrationFailedException e)
        {
            _log.FileFailed(file.Version, file.Name, action, e.Statement.Number, e.Line, e.SqlState, e.ServerMessage,
                clock.Elapsed.TotalMilliseconds, e.RolledBack);
            throw;
        }
    }

    private async Task<MigrationResult> ApplyTimedAsync(NpgsqlConnection connection, MigrationFile file, MigrationAction action, JournalStep journal,
        Stopwatch clock, CancellationToken ct)
    {
        string? note = null;
        if (file.IsNonTransactional)
        {
            note = await RunNonTransactionalAsync(connection, file, ct);
            await journal(connection, file, ct);
        }
        else
        {
            await using var transaction = await connection.BeginTransactionAsync(ct);
            foreach (var statement in file.Statements)
            {
                try
                {
                    if (_options.Observer is { } observer) await observer.BeforeStatementAsync(connection, file, statement, ct);
                    await SqlCommands.ExecuteAsync(connection, statement.Text, ct);
                    if (_options.Observer is { } after) await after.AfterStatementAsync(connection, file, statement, ct);
                }
                catch (PostgresException e)
                {
                    await transaction.RollbackAsync(CancellationToken.None);
                    throw Failure(file, statement, e, rolledBack: true);
                }
            }
            await journal(connection, file, ct);
            await transaction.CommitAsync(ct);
        }
        if (_options.Observer is { } committed) await committed.FileCommittedAsync(connection, file, ct);
        await ResetSessionAsync(connection, ct);
        _log.FileDone(file.Version, file.Name, action, file.Statements.Count, clock.Elapsed.TotalMilliseconds);
        return new MigrationResult(file.Version, file.Name, action, file.Statements.Count, clock.Elapsed, note);
    }

    /// <summary>
    /// A concurrent index build leaves an INVALID index behind when it fails, and IF NOT EXISTS would then
    /// accept that broken index silently: drop it concurrently first, build, then prove the result valid.
    /// </summary>
    private async Task<string?> RunNonTransactionalAsync(NpgsqlConnection connection, MigrationFile file, CancellationToken ct)
    {
        var statement = file.Statements[0];
        var index = NonTransactionalStatement.ConcurrentIndexName(statement);
        string? note = null;
        try
        {
            if (index is not null && await IndexIsValidAsync(connection, index, ct) == false)
            {
                _log.RebuildingInvalidIndex(index);
                progress?.Report($"index {index} was left INVALID by an earlier failed build; dropping it concurrently to rebuild…");
                await SqlCommands.ExecuteAsync(connection, $"drop index concurrently if exists {index}", ct);
                note = $"rebuilt invalid index {index}";
            }
            if (_options.Observer is { } observer) await observer.BeforeStatementAsync(connection, file, statement, ct);
            await SqlCommands.ExecuteAsync(connection, statement.Text, ct);
            if (_options.Observer is { } after) await after.AfterStatementAsync(connection, file, statement, ct);
        }
        catch (PostgresException e)
        {
            throw Failure(file, statement, e, rolledBack: false);
        }
        if (index is not null && await IndexIsValidAsync(connection, index, ct) != true)
            throw new MigrationException(
                $"{file.DisplayPath}: index {index} is not valid after the concurrent build; run again to drop and rebuild it.");
        return note;
    }

    private static string Ongoing(MigrationAction action) => action switch
    {
        MigrationAction.Applied => "applying",
        MigrationAction.Reverted => "reverting",
        MigrationAction.Seeded => "seeding",
        _ => throw new ArgumentOutOfRangeException(nameof(action), action, null),
    };

    private static async Task<bool?> IndexIsValidAsync(NpgsqlConnection connection, string index, CancellationToken ct)
    {
        return await SqlCommands.ScalarAsync<bool?>(connection, IndexValidity, ct, index);
    }

    private static MigrationFailedException Failure(MigrationFile file, SqlStatement statement, PostgresException e, bool rolledBack)
    {
        var hint = e.Hint;
        if (e.SqlState == PostgresErrorCodes.LockNotAvailable)
            hint ??= "another session holds a lock on that table; retry when it is quiet, or raise --lock-timeout.";
        var line = e.Position > 0 ? statement.LineOfPosition(e.Position) : statement.Line;
        return new MigrationFailedException(file.DisplayPath, statement, line, e.SqlState, e.MessageText, hint, rolledBack, e);
    }

}
