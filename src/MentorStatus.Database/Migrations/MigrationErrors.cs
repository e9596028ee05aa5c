namespace MentorStatus.Database.Migrations;

/// <summary>
/// Every error the engine raises on purpose. The message says what is wrong and what to do about it,
/// so the command line can print it as it is.
/// </summary>
public class MigrationException(string message, Exception? inner = null, string? sqlState = null) : MentorStatusException(message, inner, sqlState);

/// <summary>A file could not be read or split, or breaks a rule of the layout; nothing ran.</summary>
public sealed class InvalidMigrationFileException(string path, string problem)
    : MigrationException($"{path}: {problem}")
{
    public string Path { get; } = path;
}

/// <summary>A statement failed on the server. Everything of that file was rolled back.</summary>
public sealed class MigrationFailedException(
    string path, SqlStatement statement, int line, string sqlState, string serverMessage, string? hint, bool rolledBack, Exception inner)
    : MigrationException(
        $"{path}:{line}: statement {statement.Number} failed with SQLSTATE {sqlState}: {serverMessage}" +
        (hint is null ? "" : $"\n  hint: {hint}") +
        (rolledBack
            ? "\n  nothing of this file was applied (its transaction was rolled back); fix the statement and run again."
            : "\n  this statement runs outside a transaction; run again to repair and complete it."),
        inner, sqlState)
{
    public string Path { get; } = path;
    public SqlStatement Statement { get; } = statement;
    public int Line { get; } = line;
    /// <summary>The SQLSTATE the statement failed with.</summary>
    public new string SqlState => base.SqlState!;
    /// <summary>The server's message (without its DETAIL, which may hold row values).</summary>
    public string ServerMessage { get; } = serverMessage;
    /// <summary>The file's transaction was rolled back (false for a lone non-transactional statement).</summary>
    public bool RolledBack { get; } = rolledBack;
}

/// <summary>Applied migrations whose files have changed since they were applied.</summary>
public sealed class MigrationDriftException(IReadOnlyList<string> versions)
    : MigrationException(
        $"applied migration(s) changed since they were applied: {string.Join(", ", versions)}.\n" +
        "  an applied file must not be edited: put the change in a new migration (`db new NAME`).\n" +
        "  if the edit is intended and the database already matches it, accept it with `db repair VERSION --status applied`;\n" +
        "  if the migration should run again, mark it `db repair VERSION --status reverted` after undoing it.")
{
    public IReadOnlyList<string> Versions { get; } = versions;
}

/// <summary>Pending migrations older than the newest applied one.</summary>
public sealed class OutOfOrderMigrationException(IReadOnlyList<string> versions, string newestApplied)
    : MigrationException(
        $"pending migration(s) {string.Join(", ", versions)} are older than the newest applied migration {newestApplied}.\n" +
        "  if they are meant to run now, rerun with --include-all; otherwise give them a newer timestamp (rename the file).")
{
    public IReadOnlyList<string> Versions { get; } = versions;
}

/// <summary>A migration names a prerequisite (<c>-- requires: VERSION</c>) that is not applied and will not be.</summary>
public sealed class MissingPrerequisiteException(string path, string required, string? requiredFile)
    : MigrationException(requiredFile is null
        ? $"{path} requires migration {required}, which is neither applied nor present in supabase/migrations; restore that file (or apply it) first."
        : $"{path} requires migration {requiredFile}, which is not applied; apply it first (run `db up`, with --include-all if it is older than the newest applied).")
{
    public string Required { get; } = required;
}

/// <summary>The journal names versions that have no file here.</summary>
public sealed class UnknownAppliedMigrationException(IReadOnlyList<string> versions)
    : MigrationException(
        $"the database has applied migration(s) with no file in supabase/migrations: {string.Join(", ", versions)}.\n" +
        "  fetch the missing files, or if they were removed on purpose, mark them with `db repair VERSION --status reverted`.")
{
    public IReadOnlyList<string> Versions { get; } = versions;
}

/// <summary>Another runner holds the migration lock for longer than we are willing to wait.</summary>
public sealed class MigrationLockTimeoutException(TimeSpan waited, int? holderPid)
    : MigrationException(
        $"another migration runner{(holderPid is { } pid ? $" (server pid {pid})" : "")} has held the migration lock for {waited.TotalSeconds:0}s; " +
        "wait for it to finish, or raise --lock-wait.")
{
    /// <summary>True: once the other runner is done, the same call may run.</summary>
    public override bool IsTransient => true;
}
