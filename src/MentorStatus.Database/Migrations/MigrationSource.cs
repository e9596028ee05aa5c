using System.Reflection;

namespace MentorStatus.Database.Migrations;

/// <summary>
/// The migration files of a project, discovered with the Supabase CLI's rule, and their rollbacks: from a project's
/// supabase/ folder, or embedded in an assembly (a library that ships its schema, <see cref="FromAssembly"/>).
/// </summary>
public sealed class MigrationSource
{
    private readonly ProjectLayout? _layout;
    private readonly Assembly? _assembly;
    private readonly string _resourcePrefix = "";

    public MigrationSource(ProjectLayout layout) => _layout = layout;

    private MigrationSource(Assembly assembly, string resourcePrefix)
    {
        _assembly = assembly;
        _resourcePrefix = resourcePrefix;
    }

    /// <summary>
    /// Migrations embedded in <paramref name="assembly"/> under the logical names
    /// <c>{resourcePrefix}migrations/&lt;version&gt;_&lt;name&gt;.sql</c> and <c>{resourcePrefix}rollbacks/…</c>.
    /// Such a source has no project folder (no seed, no pgTAP tests).
    /// </summary>
    public static MigrationSource FromAssembly(Assembly assembly, string resourcePrefix) => new(assembly, resourcePrefix);

    /// <summary>True when the files come from an assembly, not a folder.</summary>
    public bool IsEmbedded => _assembly is not null;

    /// <summary>The project folder; a source embedded in an assembly has none.</summary>
    public ProjectLayout Layout => _layout
        ?? throw new InvalidOperationException("these migrations are embedded in an assembly: there is no project folder (seed, tests, lint)");

    /// <summary>Top-level files of supabase/migrations whose names match <c>^([0-9]+)_(.*)\.sql$</c>,
    /// in version order (string order, as the CLI compares them). Other files are ignored, as the CLI does.</summary>
    public IReadOnlyList<MigrationFile> LoadMigrations()
    {
        List<MigrationFile> files;
        if (_assembly is not null)
        {
            files = Resources("migrations/")
                .Where(r => MigrationFile.FileNamePattern().IsMatch(r.FileName))
                .Select(r => MigrationFile.Parse(r.FileName, r.Display, Read(r.Name)))
                .OrderBy(f => f.Version, StringComparer.Ordinal)
                .ToList();
        }
        else
        {
            if (!Directory.Exists(Layout.MigrationsDirectory)) return [];
            files = Directory.EnumerateFiles(Layout.MigrationsDirectory, "*.sql", SearchOption.TopDirectoryOnly)
                .Where(p => MigrationFile.FileNamePattern().IsMatch(Path.GetFileName(p)))
                .Select(p => MigrationFile.Load(p, Layout.Display(p)))
                .OrderBy(f => f.Version, StringComparer.Ordinal)
                .ToList();
        }
        var duplicate = files.GroupBy(f => f.Version).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new InvalidMigrationFileException(duplicate.First().DisplayPath,
                $"version {duplicate.Key} is used by {string.Join(" and ", duplicate.Select(f => f.DisplayPath))}; give each migration its own timestamp.");
        return files;
    }

    /// <summary>The rollback of a version: supabase/rollbacks/&lt;version&gt;_*.sql (or its embedded copy), or null.</summary>
    public string? FindRollbackPath(string version)
    {
        if (_assembly is not null)
            return Resources("rollbacks/").Where(r => r.FileName.StartsWith(version + "_", StringComparison.Ordinal) && r.FileName.EndsWith(".sql", StringComparison.Ordinal))
                .Select(r => r.Display).Order(StringComparer.Ordinal).FirstOrDefault();
        return Directory.Exists(Layout.RollbacksDirectory)
            ? Directory.EnumerateFiles(Layout.RollbacksDirectory, $"{version}_*.sql").Order(StringComparer.Ordinal).FirstOrDefault()
            : null;
    }

    public MigrationFile LoadRollback(string version)
    {
        var path = FindRollbackPath(version)
            ?? throw new MigrationException(
                $"no rollback for migration {version}: expected supabase/rollbacks/{version}_<name>.sql; write it (undo exactly what the migration does) and run again.");
        if (_assembly is not null)
        {
            var resource = Resources("rollbacks/").First(r => r.Display == path);
            return MigrationFile.Parse(resource.FileName, resource.Display, Read(resource.Name));
        }
        return MigrationFile.Load(path, Layout.Display(path));
    }

    private sealed record Resource(string Name, string FileName, string Display);

    private IEnumerable<Resource> Resources(string folder) =>
        _assembly!.GetManifestResourceNames()
            .Where(n => n.StartsWith(_resourcePrefix + folder, StringComparison.Ordinal))
            .Select(n => new Resource(n, n[(_resourcePrefix.Length + folder.Length)..], $"{_assembly.GetName().Name}:{n}"));

    private byte[] Read(string resourceName)
    {
        using var stream = _assembly!.GetManifestResourceStream(resourceName)
            ?? throw new InvalidOperationException($"embedded resource {resourceName} is missing from {_assembly.GetName().Name}");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
