using Npgsql;

namespace MentorStatus.Database.Migrations;

/// <summary>
/// Per-statement hooks into <see cref="MigrationRunner"/>, for tools that measure what `db up` does without
/// re-implementing it (`db rehearse`). Called on the runner's own connection: inside the file's transaction
/// for a transactional file, outside any for a lone non-transactional statement. An observer may read
/// (pg_locks, pg_class, the WAL position) but must not change the session or take locks of its own.
/// </summary>
public interface IMigrationObserver
{
    Task BeforeStatementAsync(NpgsqlConnection connection, MigrationFile file, SqlStatement statement, CancellationToken ct);

    /// <summary>After the statement succeeded; in a transactional file its locks are still held.</summary>
    Task AfterStatementAsync(NpgsqlConnection connection, MigrationFile file, SqlStatement statement, CancellationToken ct);

    /// <summary>After the file's journal row was committed: every lock it took is released now.</summary>
    Task FileCommittedAsync(NpgsqlConnection connection, MigrationFile file, CancellationToken ct);
}
