using System.Text.RegularExpressions;

namespace MentorStatus.Database.Migrations;

/// <summary>
/// Recognises statements PostgreSQL refuses inside a transaction block (SQLSTATE 25001), and the
/// index name of a concurrent index build so the engine can check and repair it.
/// </summary>
public static partial class NonTransactionalStatement
{
    [GeneratedRegex(@"^(create (unique )?index concurrently|drop index concurrently|reindex\b.*\bconcurrently\b|alter table\b.*\bdetach partition\b.*\bconcurrently$|vacuum\b|alter system\b|(create|drop) database\b|(create|drop) tablespace\b)")]
    private static partial Regex Pattern();

    [GeneratedRegex(@"^(begin|commit|rollback|end|abort|start transaction|savepoint|release)\b(?! atomic)")]
    private static partial Regex TransactionControl();

    /// <summary>create [unique] index concurrently [if not exists] NAME on ...</summary>
    [GeneratedRegex(@"^create (?:unique )?index concurrently (?:if not exists )?((?:""[^""]+""|[a-z_][a-z0-9_$]*)(?:\.(?:""[^""]+""|[a-z_][a-z0-9_$]*))?) on (?:only )?((?:""[^""]+""|[a-z_][a-z0-9_$]*)(?:\.(?:""[^""]+""|[a-z_][a-z0-9_$]*))?)")]
    private static partial Regex ConcurrentIndex();

    public static bool Matches(SqlStatement statement) => Pattern().IsMatch(statement.Normalized);

    public static bool IsTransactionControl(SqlStatement statement) => TransactionControl().IsMatch(statement.Normalized);

    public static string Describe(SqlStatement statement)
    {
        var words = statement.Normalized.Split(' ');
        return string.Join(' ', words.Take(words.Length > 3 && words[2] == "concurrently" ? 3 : Math.Min(words.Length, 4))).ToUpperInvariant() + " …";
    }

    /// <summary>The index a concurrent build creates, schema-qualified when the table is, or null.</summary>
    public static string? ConcurrentIndexName(SqlStatement statement)
    {
        var match = ConcurrentIndex().Match(statement.Normalized);
        if (!match.Success) return null;
        var index = match.Groups[1].Value;
        var table = match.Groups[2].Value;
        // An index always lives in its table's schema; CREATE INDEX takes no schema on the index name.
        if (!index.Contains('.') && table.Contains('.'))
            index = table[..table.IndexOf('.')] + "." + index;
        return index;
    }
}
