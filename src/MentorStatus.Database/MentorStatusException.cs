namespace MentorStatus;

/// <summary>
/// The root of every error MentorStatus raises on purpose: the engine, the local cluster, the tooling and the library.
/// The message says what is wrong and what to do, so it can be shown as it is. As with Npgsql's NpgsqlException, what a
/// caller decides on is a property, not a list of types: <see cref="IsTransient"/> (the same call may succeed later) and
/// <see cref="IsUsageError"/> (refused before anything changed, because of what was asked).
/// </summary>
public abstract class MentorStatusException(string message, Exception? inner = null, string? sqlState = null) : Exception(message, inner)
{
    /// <summary>SQLSTATE the database raised, when it came from the database.</summary>
    public string? SqlState { get; init; } = sqlState;

    /// <summary>
    /// True when the same call, unchanged, may succeed if tried again later: rows or a lock another transaction or runner
    /// held. False when something must change first (the input, the schema, the setup), and when trying again is unsafe.
    /// </summary>
    public virtual bool IsTransient => false;

    /// <summary>
    /// True when the request was refused before anything changed, because of what was asked (an option, the target):
    /// the request must change, not the system. The command line reports these as usage errors (exit 2).
    /// </summary>
    public virtual bool IsUsageError => false;
}
