using System.Text;
using MentorStatus.Database.Migrations;

namespace MentorStatus.Tooling.Lint;

/// <summary>
/// A migration file as the linter sees it. Unlike <see cref="MigrationFile.Load"/> it accepts a file that
/// mixes a non-transactional statement with others: that is a finding (MS009) here, not a refusal.
/// </summary>
public sealed record LintInput(string Version, string Name, string DisplayPath, string Sql, IReadOnlyList<SqlStatement> Statements, string? RollbackPath)
{
    /// <summary>Why the file could not be split into statements (an unterminated quote or comment); it is then a finding, not a crash.</summary>
    public string? ParseError { get; init; }
    public int ParseErrorLine { get; init; } = 1;

    /// <summary>One non-transactional statement alone: the runner applies it outside a transaction.</summary>
    public bool IsNonTransactional => Statements.Count == 1 && NonTransactionalStatement.Matches(Statements[0]);

    /// <summary>
    /// The migrations in version order. Two files with one version are refused, as `db up` refuses them
    /// (<see cref="InvalidMigrationFileException"/>): their order would be arbitrary, and so would the lint's findings.
    /// </summary>
    public static IReadOnlyList<LintInput> Discover(MigrationSource source)
    {
        var layout = source.Layout;
        if (!Directory.Exists(layout.MigrationsDirectory)) return [];
        var inputs = Directory.EnumerateFiles(layout.MigrationsDirectory, "*.sql", SearchOption.TopDirectoryOnly)
            .Select(path => (path, match: MigrationFile.FileNamePattern().Match(Path.GetFileName(path))))
            .Where(x => x.match.Success)
            .OrderBy(x => x.match.Groups[1].Value, StringComparer.Ordinal)
            .Select(x =>
            {
                var version = x.match.Groups[1].Value;
                var display = layout.Display(x.path);
                var sql = File.ReadAllText(x.path, new UTF8Encoding(false)).TrimStart('\uFEFF');
                var rollback = source.FindRollbackPath(version);
                var rollbackDisplay = rollback is null ? null : layout.Display(rollback);
                try
                {
                    return new LintInput(version, x.match.Groups[2].Value, display, sql, SqlScript.Split(sql), rollbackDisplay);
                }
                catch (SqlSyntaxException e)
                {
                    return new LintInput(version, x.match.Groups[2].Value, display, sql, [], rollbackDisplay) { ParseError = e.Message, ParseErrorLine = e.Line };
                }
            })
            .ToList();
        var duplicate = inputs.GroupBy(m => m.Version).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new InvalidMigrationFileException(duplicate.First().DisplayPath,
                $"version {duplicate.Key} is used by {string.Join(" and ", duplicate.Select(m => m.DisplayPath).Order(StringComparer.Ordinal))}; " +
                "give each migration its own timestamp (db up refuses them too).");
        return inputs;
    }
}
