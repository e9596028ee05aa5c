namespace MentorStatus;

/// <summary>Base of every error this library raises on purpose; the message says what to do.</summary>
public abstract class MentorStatusException(string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>SQLSTATE the database raised, when it came from the database.</summary>
    public string? SqlState { get; init; }
}

/// <summary>MS404: the mentor does not exist, is deleted, or is not visible to the caller (one error on purpose).</summary>
public sealed class MentorNotFoundException(Guid mentorId, string message, Exception? inner = null)
    : MentorStatusException(message, inner)
{
    /// <summary>The mentor asked for.</summary>
    public Guid MentorId { get; } = mentorId;
}

/// <summary>MS401/MS403/42501: the caller may not make this change (wrong kind of reason code, no user, no privilege).</summary>
public sealed class StatusChangeNotAllowedException(string message, Exception? inner = null) : MentorStatusException(message, inner);

/// <summary>MS409: the reason code does not lead from the mentor's current status to the requested one.</summary>
public sealed class IllegalStatusTransitionException(string message, Exception? inner = null) : MentorStatusException(message, inner);

/// <summary>MS422: the reason is not a code of public.mentor_status_reason_codes.</summary>
public sealed class UnknownReasonCodeException(string reason, string message, Exception? inner = null)
    : MentorStatusException(message, inner)
{
    /// <summary>The reason given.</summary>
    public string Reason { get; } = reason;
}

/// <summary>Serialization failure, deadlock or lock timeout that persisted through every retry.</summary>
public sealed class ConcurrentStatusChangeException(string message, Exception? inner = null) : MentorStatusException(message, inner);

/// <summary>The C# enum or reason codes differ from the database: the code and the migrations are out of step.</summary>
public sealed class SchemaMismatchException(string message) : MentorStatusException(message);
