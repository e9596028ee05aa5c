namespace MentorStatus.Cli.Commands;

/// <summary>
/// The command cannot run as asked (a bad option value, a missing configuration): exit code 2, the
/// message says what to change. Failures of the operation itself exit 1.
/// </summary>
internal sealed class UsageException(string message) : MentorStatusException(message)
{
    public override bool IsUsageError => true;
}
