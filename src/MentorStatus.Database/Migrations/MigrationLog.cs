using Microsoft.Extensions.Logging;

namespace MentorStatus.Database.Migrations;

/// <summary>
/// The migration engine's log lines, source-generated. Fields are versions, file names, durations and
/// SQLSTATEs: never a connection string, a password or a statement's data. Event ids 4xxx.
/// </summary>
internal static partial class MigrationLog
{
    [LoggerMessage(4000, LogLevel.Information, "Migration {Version} {Name} {Action}: {Statements} statement(s) in {DurationMs:0.0} ms")]
    public static partial void FileDone(this ILogger logger, string version, string name, MigrationAction action, int statements, double durationMs);

    [LoggerMessage(4001, LogLevel.Debug, "Migration {Version} {Name} skipped: already applied")]
    public static partial void FileSkipped(this ILogger logger, string version, string name);

    [LoggerMessage(4002, LogLevel.Error, "Migration {Version} {Name} failed ({Action}) at statement {Statement}, line {Line}: SQLSTATE {SqlState} {Message}; after {DurationMs:0.0} ms, rolled back: {RolledBack}")]
    public static partial void FileFailed(this ILogger logger, string version, string name, MigrationAction action, int statement, int line,
        string sqlState, string message, double durationMs, bool rolledBack);

    [LoggerMessage(4003, LogLevel.Information, "Waiting for the migration lock held by server pid {HolderPid}")]
    public static partial void WaitingForLock(this ILogger logger, int? holderPid);

    [LoggerMessage(4004, LogLevel.Warning, "Index {Index} was left INVALID by an earlier failed build; dropping it concurrently to rebuild")]
    public static partial void RebuildingInvalidIndex(this ILogger logger, string index);
}
