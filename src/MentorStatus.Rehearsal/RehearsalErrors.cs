using MentorStatus.Database;
namespace MentorStatus.Rehearsal;

/// <summary>The rehearsal could not run; the message says what failed and what to do. The throwaway cluster is gone.</summary>
public class RehearsalException(string message, Exception? inner = null) : MentorStatusException(message, inner);

/// <summary>The rehearsal could not run because of what the user asked for (exit 2, usage), not a failure of the run.</summary>
public abstract class RehearsalUsageException(string message) : RehearsalException(message)
{
    /// <summary>True: what was asked must change.</summary>
    public override bool IsUsageError => true;
}

/// <summary>The source role could write to the source: refused unless the user says they know (--i-know).</summary>
public sealed class WritableSourceException(string role, IReadOnlyList<string> reasons)
    : RehearsalUsageException(
        $"the source role {role} can write to the source database ({string.Join("; ", reasons)}).\n" +
        "  `db rehearse` only reads, in read-only sessions, but a URL that can write is one typo away from production damage:\n" +
        "  use a read-only role (e.g. `create role rehearse login password '…' in role pg_read_all_data`),\n" +
        "  or pass --i-know to accept this role.")
{
    public IReadOnlyList<string> Reasons { get; } = reasons;
}

/// <summary>A --tables name the source does not have: a usage error (exit 2), found once the source is read.</summary>
public sealed class UnknownTableException(string name)
    : RehearsalUsageException($"--tables: the source has no table {name}; name tables as schema.table (public is assumed), e.g. public.peer_mentors.")
{
    public string Name { get; } = name;
}
