using MentorStatus.Database.Migrations;
using MentorStatus.Database;
using Npgsql;
using Tomlyn;
using Tomlyn.Model;

namespace MentorStatus.Tooling.Declarative;

/// <summary>
/// The schema as it is now, in supabase/schemas/: the files the Supabase CLI's `db diff` reads (config.toml
/// <c>[db.migrations] schema_paths</c>, else every .sql file under supabase/schemas in path order), applied in that
/// order on top of the platform layer. `db reset` and `db up` never read them: the migrations stay the only way a
/// database changes, and <see cref="SchemaComparison"/> keeps the two in agreement.
/// </summary>
public sealed class DeclarativeSchema(ProjectLayout layout)
{
    public ProjectLayout Layout { get; } = layout;

    public string Directory => Path.Combine(Layout.SupabaseDirectory, "schemas");

    /// <summary>The files in the order they are applied; empty when the project has none.</summary>
    public IReadOnlyList<string> Files()
    {
        if (SchemaPaths() is { } patterns)
        {
            var files = new List<string>();
            foreach (var pattern in patterns)
                foreach (var file in Expand(pattern))
                    if (!files.Contains(file)) files.Add(file);
            return files;
        }
        return System.IO.Directory.Exists(Directory)
            ? System.IO.Directory.EnumerateFiles(Directory, "*.sql", SearchOption.AllDirectories)
                .Order(StringComparer.Ordinal).ToList()
            : [];
    }

    /// <summary>
    /// Applies every file, each in one transaction. A failure names the file, the line and the server's message,
    /// and leaves the files before it applied.
    /// </summary>
    public async Task ApplyAsync(NpgsqlDataSource dataSource, CancellationToken ct = default)
    {
        var files = Files();
        if (files.Count == 0)
            throw new DeclarativeSchemaException(
                $"no declarative schema: {Layout.Display(Directory)} has no .sql file; describe the schema there (see README, 'One home for the schema').");
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        foreach (var file in files)
        {
            IReadOnlyList<SqlStatement> statements;
            try
            {
                statements = SqlScript.Split(await File.ReadAllTextAsync(file, ct));
            }
            catch (SqlSyntaxException e)
            {
                throw new DeclarativeSchemaException($"{Layout.Display(file)}:{e.Line}: {e.Message}");
            }
            await using var transaction = await connection.BeginTransactionAsync(ct);
            foreach (var statement in statements)
            {
                try
                {
                    await using var command = new NpgsqlCommand(statement.Text, connection, transaction) { CommandTimeout = 0 };
                    await command.ExecuteNonQueryAsync(ct);
                }
                catch (PostgresException e)
                {
                    var line = e.Position > 0 ? statement.LineOfPosition(e.Position) : statement.Line;
                    throw new DeclarativeSchemaException(
                        $"{Layout.Display(file)}:{line}: statement {statement.Number} failed: {e.SqlState} {e.MessageText}" +
                        (e.Hint is { } hint ? $" (hint: {hint})" : "") +
                        "\n  fix: the files must build the schema from the platform layer alone, in file-name order; define a thing before what uses it.", e);
                }
            }
            await transaction.CommitAsync(ct);
        }
    }

    /// <summary>config.toml [db.migrations] schema_paths, relative to supabase/; null when not set.</summary>
    private List<string>? SchemaPaths()
    {
        var path = Path.Combine(Layout.SupabaseDirectory, "config.toml");
        if (!File.Exists(path)) return null;
        TomlTable config;
        try
        {
            config = TomlSerializer.Deserialize<TomlTable>(File.ReadAllText(path)) ?? new TomlTable();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new DeclarativeSchemaException($"{Layout.Display(path)} is not valid TOML ({e.Message}); fix it so that [db.migrations] schema_paths can be read.");
        }
        if (config.TryGetValue("db", out var db) && db is TomlTable dbTable
            && dbTable.TryGetValue("migrations", out var migrations) && migrations is TomlTable migrationsTable
            && migrationsTable.TryGetValue("schema_paths", out var paths))
        {
            if (paths is not TomlArray array || array.Any(p => p is not string))
                throw new DeclarativeSchemaException($"{Layout.Display(path)}: [db.migrations] schema_paths must be a list of paths or globs, e.g. [\"./schemas/*.sql\"].");
            return array.Cast<string>().ToList();
        }
        return null;
    }

    /// <summary>A file, or a glob whose last part has * or ? (Go's filepath.Glob, as the CLI uses it), in name order.</summary>
    private IEnumerable<string> Expand(string pattern)
    {
        var full = Path.GetFullPath(Path.Combine(Layout.SupabaseDirectory, pattern));
        var name = Path.GetFileName(full);
        var folder = Path.GetDirectoryName(full)!;
        if (name.IndexOfAny(['*', '?']) < 0)
            return File.Exists(full) ? [full] : System.IO.Directory.Exists(full)
                ? System.IO.Directory.EnumerateFiles(full, "*.sql", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
                : [];
        return System.IO.Directory.Exists(folder)
            ? System.IO.Directory.EnumerateFiles(folder, name, SearchOption.TopDirectoryOnly).Order(StringComparer.Ordinal)
            : [];
    }
}

/// <summary>The declarative files could not be read or applied; the message names the file and the fix.</summary>
public sealed class DeclarativeSchemaException(string message, Exception? inner = null) : MentorStatusException(message, inner);
