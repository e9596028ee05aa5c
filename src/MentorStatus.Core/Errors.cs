// The root, MentorStatusException, lives in MentorStatus.Database (the engine's errors share it); code built against an
// older MentorStatus.Core that defined it here still finds it.
[assembly: System.Runtime.CompilerServices.TypeForwardedTo(typeof(MentorStatus.MentorStatusException))]

namespace MentorStatus;

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

/// <summary>
/// MS412: the reason code leads from the current status, but public.mentor_status_rules do not let this caller use it
/// for the cause of the mentor's pause (e.g. a mentor resuming out of a coordinator's pause). The message says who may.
/// </summary>
public sealed class StatusRuleViolationException(string message, Exception? inner = null) : MentorStatusException(message, inner);

/// <summary>MS413: a text argument is longer than its limit (a reason: 63 characters); refused before any lookup.</summary>
public sealed class ArgumentTooLongException(string message, Exception? inner = null) : MentorStatusException(message, inner);

/// <summary>MS429: a mentor changed their own status too often (public.mentor_status_settings); the message says when they may again.</summary>
public sealed class StatusChangeRateLimitedException(string message, Exception? inner = null) : MentorStatusException(message, inner);

/// <summary>MS422: the reason is not a code of public.mentor_status_reason_codes.</summary>
public sealed class UnknownReasonCodeException(string reason, string message, Exception? inner = null)
    : MentorStatusException(message, inner)
{
    /// <summary>The reason given.</summary>
    public string Reason { get; } = reason;
}

/// <summary>Serialization failure, deadlock or lock timeout that persisted through every retry.</summary>
public sealed class ConcurrentStatusChangeException(string message, Exception? inner = null) : MentorStatusException(message, inner)
{
    /// <summary>True: the rows were busy; the same change may go through later.</summary>
    public override bool IsTransient => true;
}

/// <summary>
/// The connection was lost during a status change (a server restart or failover): the change may or may not have
/// been committed, so it is not retried; read the mentor's timeline before trying again.
/// </summary>
public sealed class StatusChangeOutcomeUnknownException(string message, Exception? inner = null) : MentorStatusException(message, inner);

/// <summary>The C# enum or reason codes differ from the database: the code and the migrations are out of step.</summary>
public sealed class SchemaMismatchException(string message) : MentorStatusException(message);

/// <summary>26000 through a transaction pooler: the client's prepared statements do not survive the pooler; the message says how to turn them off.</summary>
public sealed class PoolerPreparedStatementException(string message, Exception? inner = null) : MentorStatusException(message, inner);
