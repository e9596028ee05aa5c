namespace MentorStatus.Database.Migrations;

/// <summary>The migration files of a project, discovered with the Supabase CLI's rule, and their rollbacks.</summary>
public sealed class MigrationSource(ProjectLayout layout)
{
    public ProjectLayout Layout { get; } = layout;

    /// <summary>Top-level files of supabase/migrations whose names match <c>^([0-9]+)_(.*)\.sql$</c>,
    /// in version order (string order, as the CLI compares them). Other files are ignored, as the CLI does.</summary>
    public IReadOnlyList<MigrationFile> LoadMigrations()
    {
        if (!Directory.Exists(Layout.MigrationsDirectory)) return [];
        var files = Directory.EnumerateFiles(Layout.MigrationsDirectory, "*.sql", SearchOption.TopDirectoryOnly)
            .Where(p => MigrationFile.FileNamePattern().IsMatch(Path.GetFileName(p)))
            .Select(p => MigrationFile.Load(p, Layout.Display(p)))
            .OrderBy(f => f.Version, StringComparer.Ordinal)
            .ToList();
        var duplicate = files.GroupBy(f => f.Version).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new InvalidMigrationFileException(duplicate.First().DisplayPath,
                $"version {duplicate.Key} is used by {string.Join(" and ", duplicate.Select(f => f.DisplayPath))}; give each migration its own timestamp.");
        return files;
    }

    /// <summary>The rollback of a version: supabase/rollbacks/&lt;version&gt;_*.sql, or null.</summary>
    public string? FindRollbackPath(string version) =>
        Directory.Exists(Layout.RollbacksDirectory)
            ? Directory.EnumerateFiles(Layout.RollbacksDirectory, $"{version}_*.sql").Order(StringComparer.Ordinal).FirstOrDefault()
            : null;

    public MigrationFile LoadRollback(string version)
    {
        var path = FindRollbackPath(version)
            ?? throw new MigrationException(
                $"no rollback for migration {version}: expected supabase/rollbacks/{version}_<name>.sql; write it (undo exactly what the migration does) and run again.");
        return MigrationFile.Load(path, Layout.Display(path));
    }
}
