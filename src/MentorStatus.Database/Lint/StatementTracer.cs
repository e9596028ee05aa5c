using MentorStatus.Database.Migrations;
using Npgsql;

namespace MentorStatus.Database.Lint;

/// <summary>A relation lock our backend holds after a statement.</summary>
public sealed record HeldLock(uint Relation, string Mode)
{
    public bool IsAccessExclusive => Mode == "AccessExclusiveLock";
}

/// <summary>A table named by an UPDATE, DELETE or TRUNCATE, resolved in the replay session before it ran.</summary>
/// <param name="EveryRow">No WHERE (or a whole-table backfill's WHERE): every row is changed or erased.</param>
/// <param name="Cascade">TRUNCATE … CASCADE.</param>
public sealed record ModifiedTable(string Verb, string Name, uint? Oid, bool EveryRow = false, bool Cascade = false);

/// <summary>What one statement did when it was replayed, or why it was not.</summary>
public sealed class TraceStep
{
    public required SqlStatement Statement { get; init; }
    /// <summary>Set when the statement cannot run in a transaction (or controls it): it got static checks only.</summary>
    public string? StaticOnlyReason { get; init; }
    /// <summary>BEGIN, COMMIT and the like: not replayed, the runner owns the transaction (MS026).</summary>
    public bool IsTransactionControl { get; init; }
    public bool Traced => StaticOnlyReason is null && Before is not null && After is not null;
    /// <summary>lock_timeout in effect when the statement started ("0" = wait forever).</summary>
    public string? LockTimeout { get; init; }
    public CatalogState? Before { get; init; }
    public CatalogState? After { get; set; }
    /// <summary>Locks on relations that existed before the migration, first taken by this statement.</summary>
    public IReadOnlyList<HeldLock> NewLocks { get; set; } = [];
    public IReadOnlyList<ModifiedTable> ModifiedTables { get; init; } = [];
    public PostgresException? Error { get; set; }
}

/// <summary>One migration replayed: the catalog before it, each statement, and the catalog after.</summary>
public sealed class MigrationTrace
{
    public required LintInput Migration { get; init; }
    public required CatalogState Baseline { get; init; }
    public required IReadOnlyList<TraceStep> Steps { get; init; }
    public List<string> Notes { get; } = [];
    /// <summary>The schemas PostgREST serves, from the project's settings.</summary>
    public IReadOnlySet<string> ExposedSchemas { get; init; } = new HashSet<string> { "public" };
    /// <summary>How the project deploys (settings), for findings that say what the deploy does with the file.</summary>
    public DeployTool Deploy { get; set; } = DeployTool.SupabaseDbPush;
    public bool Failed => Steps.Any(s => s.Error is not null);
    public CatalogState Final => Steps.LastOrDefault(s => s.After is not null)?.After ?? Baseline;
    public bool Existed(uint relation) => Baseline.Relations.ContainsKey(relation);
}

/// <summary>
/// Replays a migration on a throwaway database statement by statement inside one transaction (as the
/// runner applies it), and after each statement reads the locks our backend holds on relations that
/// existed before the migration and the catalog. Non-transactional statements run outside any
/// transaction and get static checks only: their locks and catalog steps cannot be observed.
/// Each statement runs under a savepoint: one that fails is recorded (MS000) and rolled back alone, and the
/// rest of the file still replays, so one missing function does not hide every other finding. BEGIN/COMMIT
/// in the file are recorded, not run (the runner refuses such a file; running them would end our transaction).
/// </summary>
internal sealed partial class StatementTracer(NpgsqlConnection connection, TimeSpan? runnerLockTimeout, IReadOnlySet<string>? exposedSchemas = null)
{
    /// <summary>As on Supabase, where the postgres role's search_path lists extensions (pgcrypto, uuid-ossp live there).</summary>
    private const string SupabaseSearchPath = "set search_path = \"$user\", public, extensions";

    [System.Text.RegularExpressions.GeneratedRegex(@"^create extension (?:if not exists )?""?pg_cron""?(?: |$)")]
    private static partial System.Text.RegularExpressions.Regex CreatePgCron();

    private readonly IReadOnlySet<string> _exposed = exposedSchemas ?? new HashSet<string> { "public" };

    // Ordered (relation by age, then mode by strength) so that a finding naming several locks reads the same on every run:
    // pg_locks lists them in the order of the lock manager's hash table, which depends on the OIDs of that run.
    private const string SelectLocks = """
        select l.relation, l.mode from pg_locks l
        where l.pid = pg_backend_pid() and l.locktype = 'relation' and l.granted and l.database = (select oid from pg_database where datname = current_database())
        order by l.relation, array_position(array['AccessShareLock', 'RowShareLock', 'RowExclusiveLock', 'ShareUpdateExclusiveLock',
                                                  'ShareLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock'], l.mode)
        """;
    private const string SelectLockTimeout = "select current_setting('lock_timeout')";
    private const string ResolveTable = "select to_regclass($1)::oid";
    private const string PgCronAvailable = "select exists (select 1 from pg_available_extensions where name = 'pg_cron')";

    /// <summary>
    /// pg_cron's SQL API with its signatures, for replaying migrations that schedule jobs on a server where pg_cron
    /// cannot load (it must be preloaded, and only in cron.database_name, never a throwaway copy). Lint-only: the
    /// throwaway database is dropped afterwards; nothing runs the jobs.
    /// </summary>
    private const string PgCronStandIn = """
        create schema if not exists cron;
        create table if not exists cron.job (jobid bigserial primary key, schedule text not null, command text not null,
            nodename text not null default 'localhost', nodeport int not null default 5432, database text not null default current_database(),
            username text not null default current_user, active boolean not null default true, jobname text);
        create or replace function cron.schedule(job_name text, schedule text, command text) returns bigint language sql
            as $$ insert into cron.job (jobname, schedule, command) values (job_name, schedule, command) returning jobid $$;
        create or replace function cron.schedule(schedule text, command text) returns bigint language sql
            as $$ insert into cron.job (schedule, command) values (schedule, command) returning jobid $$;
        create or replace function cron.unschedule(job_name text) returns boolean language sql
            as $$ with d as (delete from cron.job where jobname = job_name returning 1) select count(*) > 0 from d $$;
        create or replace function cron.unschedule(job_id bigint) returns boolean language sql
            as $$ with d as (delete from cron.job where jobid = job_id returning 1) select count(*) > 0 from d $$;
        create or replace function cron.alter_job(job_id bigint, schedule text default null, command text default null,
            database text default null, username text default null, active boolean default null) returns void language sql
            as $$ update cron.job set schedule = coalesce(alter_job.schedule, job.schedule), command = coalesce(alter_job.command, job.command),
                  active = coalesce(alter_job.active, job.active) where jobid = job_id $$;
        """;

    /// <summary>Applies the migration; with <paramref name="trace"/> false it only applies it (an earlier migration that is not linted).</summary>
    public async Task<MigrationTrace> RunAsync(LintInput migration, bool trace, CancellationToken ct)
    {
        await ResetSessionAsync(ct);
        var baseline = await CatalogState.ReadAsync(connection, _exposed, ct);
        var steps = new List<TraceStep>();
        var result = new MigrationTrace { Migration = migration, Baseline = baseline, Steps = steps, ExposedSchemas = _exposed };

        if (migration.IsNonTransactional)
        {
            var statement = migration.Statements[0];
            var step = new TraceStep { Statement = statement, StaticOnlyReason = StaticOnly(statement, alone: true) };
            steps.Add(step);
            try
            {
                await ExecuteAsync(statement.Text, ct);
            }
            catch (PostgresException e)
            {
                step.Error = e;
            }
            result.Notes.Add($"{migration.DisplayPath}:{statement.Line}: {step.StaticOnlyReason}");
            return result;
        }

        await using var transaction = await connection.BeginTransactionAsync(ct);
        var held = new HashSet<HeldLock>();
        var current = baseline;
        foreach (var statement in migration.Statements)
        {
            if (NonTransactionalStatement.IsTransactionControl(statement))
            {
                steps.Add(new TraceStep
                {
                    Statement = statement, IsTransactionControl = true,
                    StaticOnlyReason = $"statement {statement.Number} controls the transaction: not replayed (the runner owns the transaction)",
                });
                continue;
            }
            if (NonTransactionalStatement.Matches(statement))
            {
                var reason = StaticOnly(statement, alone: false);
                steps.Add(new TraceStep { Statement = statement, StaticOnlyReason = reason });
                result.Notes.Add($"{migration.DisplayPath}:{statement.Line}: {reason}");
                continue;
            }
            var step = trace
                ? new TraceStep
                {
                    Statement = statement,
                    Before = current,
                    LockTimeout = await ScalarAsync<string>(SelectLockTimeout, ct),
                    ModifiedTables = await ResolveAsync(DataStatements.Parse(statement), ct),
                }
                : new TraceStep { Statement = statement, StaticOnlyReason = "not linted" };
            steps.Add(step);
            await ExecuteAsync("savepoint mslint_statement", ct);
            try
            {
                if (CreatePgCron().IsMatch(statement.Normalized) && !await ScalarAsync<bool>(PgCronAvailable, ct))
                {
                    await ExecuteAsync(PgCronStandIn, ct);
                    result.Notes.Add($"{migration.DisplayPath}:{statement.Line}: pg_cron cannot be loaded on the lint server " +
                                     "(it needs shared_preload_libraries): replayed with a stand-in of its API (cron.schedule, cron.unschedule, cron.job); scheduled commands are not checked");
                }
                else
                {
                    await ExecuteAsync(statement.Text, ct);
                }
                await ExecuteAsync("release savepoint mslint_statement", ct);
            }
            catch (PostgresException e)
            {
                step.Error = e;
                await ExecuteAsync("rollback to savepoint mslint_statement", ct);
                if (trace) step.After = current;
                continue;
            }
            if (!trace) continue;
            var locks = await LocksAsync(baseline, ct);
            step.NewLocks = locks.Where(held.Add).ToList();
            current = step.After = await CatalogState.ReadAsync(connection, _exposed, ct);
        }
        try
        {
            await transaction.CommitAsync(ct);
        }
        catch (PostgresException e) when (steps.Count > 0)
        {
            // a deferred constraint or trigger fails at commit: it belongs to the file, as the last statement's failure
            steps[^1].Error ??= e;
        }
        return result;
    }

    /// <summary>Applies a rollback script as the runner would: one transaction, or alone outside one.</summary>
    public async Task ApplyScriptAsync(MigrationFile file, CancellationToken ct)
    {
        await ResetSessionAsync(ct);
        if (file.IsNonTransactional)
        {
            await ExecuteAsync(file.Statements[0].Text, ct);
            return;
        }
        await using var transaction = await connection.BeginTransactionAsync(ct);
        foreach (var statement in file.Statements) await ExecuteAsync(statement.Text, ct);
        await transaction.CommitAsync(ct);
    }

    /// <summary>
    /// Applies a transactional script as the runner would, reads what it left with <paramref name="read"/>, then rolls it back.
    /// `set constraints all immediate` first runs the deferred checks and constraint triggers the commit would run, so a
    /// script that would fail at commit fails here too.
    /// </summary>
    public async Task<T> TryScriptAsync<T>(MigrationFile file, Func<Task<T>> read, CancellationToken ct)
    {
        await ResetSessionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        foreach (var statement in file.Statements) await ExecuteAsync(statement.Text, ct);
        await ExecuteAsync("set constraints all immediate", ct);
        var result = await read();
        await transaction.RollbackAsync(ct);
        return result;
    }

    private static string StaticOnly(SqlStatement statement, bool alone) =>
        $"statement {statement.Number} ({NonTransactionalStatement.Describe(statement)}) cannot run in a transaction: checked statically only, " +
        (alone ? "without lock or catalog tracing" : "and not replayed (the file mixes it with other statements)");

    /// <summary>Like the runner: a clean session with Supabase's search_path, and the deploy's lock_timeout when the lint counts it.</summary>
    private async Task ResetSessionAsync(CancellationToken ct)
    {
        await ExecuteAsync("reset all", ct);
        await ExecuteAsync(SupabaseSearchPath, ct);
        if (runnerLockTimeout is { } timeout)
            await ExecuteAsync($"set lock_timeout = {(long)timeout.TotalMilliseconds}", ct);
    }

    private async Task<List<HeldLock>> LocksAsync(CatalogState baseline, CancellationToken ct)
    {
        var locks = new List<HeldLock>();
        await using var command = new NpgsqlCommand(SelectLocks, connection);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var relation = reader.GetFieldValue<uint>(0);
            if (baseline.Relations.ContainsKey(relation)) locks.Add(new HeldLock(relation, reader.GetString(1)));
        }
        return locks;
    }

    private async Task<IReadOnlyList<ModifiedTable>> ResolveAsync(IReadOnlyList<(string Verb, string Name, bool EveryRow, bool Cascade)> tables, CancellationToken ct)
    {
        var resolved = new List<ModifiedTable>();
        foreach (var (verb, name, everyRow, cascade) in tables)
        {
            uint? oid;
            await ExecuteAsync("savepoint mslint_resolve", ct);
            try
            {
                oid = await ScalarAsync<uint?>(ResolveTable, ct, name);
                await ExecuteAsync("release savepoint mslint_resolve", ct);
            }
            catch (PostgresException)
            {
                oid = null; // not a name to_regclass can read (e.g. a CTE's alias): not a table of the schema
                await ExecuteAsync("rollback to savepoint mslint_resolve", ct);
            }
            resolved.Add(new ModifiedTable(verb, name, oid, everyRow, cascade));
        }
        return resolved;
    }

    private Task ExecuteAsync(string sql, CancellationToken ct) => SqlCommands.ExecuteAsync(connection, sql, ct);

    private async Task<T> ScalarAsync<T>(string sql, CancellationToken ct, params object[] values) =>
        (await SqlCommands.ScalarAsync<T>(connection, sql, ct, values))!;
}
