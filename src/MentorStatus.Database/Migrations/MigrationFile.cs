using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace MentorStatus.Database.Migrations;

/// <summary>
/// One SQL file of <c>supabase/migrations</c> (or its rollback), parsed and checked before anything runs.
/// </summary>
public sealed partial record MigrationFile
{
    /// <summary>The Supabase CLI's own rule for migration file names (pkg/migration/file.go).</summary>
    [GeneratedRegex(@"^([0-9]+)_(.*)\.sql$")]
    public static partial Regex FileNamePattern();

    /// <summary><c>-- requires: 20261101000100</c> header lines name migrations that must be applied first.</summary>
    [GeneratedRegex(@"^\s*--\s*requires:\s*([0-9]+)\s*$", RegexOptions.Multiline | RegexOptions.IgnoreCase)]
    private static partial Regex RequiresPattern();

    public required string Version { get; init; }
    public required string Name { get; init; }
    /// <summary>Path as shown to the user (relative to the project root where possible).</summary>
    public required string DisplayPath { get; init; }
    public required string Sql { get; init; }
    public required IReadOnlyList<SqlStatement> Statements { get; init; }
    public required IReadOnlyList<string> Requires { get; init; }

    /// <summary>True for a file made of one statement that PostgreSQL refuses to run in a transaction.</summary>
    public bool IsNonTransactional => Statements.Count == 1 && NonTransactionalStatement.Matches(Statements[0]);

    /// <summary>Layout-insensitive text, compared against the journal to detect drift.</summary>
    public string NormalizedSql => SqlScript.Normalize(string.Join(";\n", Statements.Select(s => s.Text)));

    public string Sha256 => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Sql)));

    /// <summary>Reads and checks a file. Throws <see cref="InvalidMigrationFileException"/> with the fix.</summary>
    /// <param name="requireVersionedName">False for scripts that are not migrations (the seed).</param>
    public static MigrationFile Load(string path, string displayPath, bool requireVersionedName = true) =>
        Parse(Path.GetFileName(path), displayPath, File.ReadAllBytes(path), requireVersionedName);

    /// <summary>Checks a file's content given as bytes (an embedded resource); the same rules as <see cref="Load"/>.</summary>
    public static MigrationFile Parse(string fileName, string displayPath, byte[] content, bool requireVersionedName = true)
    {
        var match = FileNamePattern().Match(fileName);
        if (!match.Success && requireVersionedName)
            throw new InvalidMigrationFileException(displayPath, "the name must be <version>_<name>.sql, e.g. 20261101000000_create_things.sql");

        string sql;
        try
        {
            sql = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true)
                .GetString(content);
        }
        catch (DecoderFallbackException)
        {
            throw new InvalidMigrationFileException(displayPath, "the file is not valid UTF-8; save it as UTF-8 (PostgreSQL would reject or misread it)");
        }
        sql = sql.TrimStart('\uFEFF');
        if (sql.IndexOf('\0') is var nul and >= 0)
            throw new InvalidMigrationFileException($"{displayPath}:{sql[..nul].Count(c => c == '\n') + 1}",
                "the file contains a NUL byte (U+0000), which PostgreSQL cannot take in SQL text (the protocol message breaks and the error would name no statement); remove it.");

        IReadOnlyList<SqlStatement> statements;
        try
        {
            statements = SqlScript.Split(sql);
        }
        catch (SqlSyntaxException e)
        {
            throw new InvalidMigrationFileException($"{displayPath}:{e.Line}", e.Message);
        }
        if (statements.Count == 0)
            throw new InvalidMigrationFileException(displayPath, "the file holds no SQL statement; write the migration, or delete the file");

        var file = new MigrationFile
        {
            Version = match.Success ? match.Groups[1].Value : "",
            Name = match.Success ? match.Groups[2].Value : Path.GetFileNameWithoutExtension(fileName),
            DisplayPath = displayPath,
            Sql = sql,
            Statements = statements,
            Requires = RequiresPattern().Matches(sql).Select(m => m.Groups[1].Value).Distinct().ToList(),
        };
        file.CheckTransactionRules();
        return file;
    }

    /// <summary>Refuses, before anything runs, a file that mixes a non-transactional statement with
    /// others, and a file that controls transactions itself (the engine owns the transaction).</summary>
    private void CheckTransactionRules()
    {
        foreach (var statement in Statements)
        {
            if (Statements.Count > 1 && NonTransactionalStatement.Matches(statement))
                throw new InvalidMigrationFileException($"{DisplayPath}:{statement.Line}",
                    $"statement {statement.Number} ({NonTransactionalStatement.Describe(statement)}) cannot run inside a transaction, " +
                    $"so it must be the only statement in its file; move it to a migration of its own (`db new NAME`).");
            if (NonTransactionalStatement.IsTransactionControl(statement))
                throw new InvalidMigrationFileException($"{DisplayPath}:{statement.Line}",
                    $"statement {statement.Number} ({statement.Normalized.Split(' ')[0].ToUpperInvariant()}) controls the transaction; " +
                    "remove it: every migration file already runs in one transaction of its own.");
        }
    }
}
