using MentorStatus.Database;

namespace MentorStatus.Tests.Infrastructure;

/// <summary>A throwaway project folder with its own supabase/ layout, for tests that need their own migrations.</summary>
public sealed class TempProject : IDisposable
{
    public ProjectLayout Layout { get; }

    public TempProject()
    {
        var root = Path.Combine(Path.GetTempPath(), "mentorstatus-project-" + Guid.NewGuid().ToString("N")[..12]);
        Layout = new ProjectLayout(root);
        Directory.CreateDirectory(Layout.MigrationsDirectory);
        Directory.CreateDirectory(Layout.RollbacksDirectory);
        File.WriteAllText(Path.Combine(Layout.SupabaseDirectory, "config.toml"), "project_id = \"temp\"\n");
    }

    /// <summary>A copy of the repository's own migrations and rollbacks, to break on purpose.</summary>
    public static TempProject CopyOfRepository()
    {
        var project = new TempProject();
        foreach (var file in Directory.EnumerateFiles(TestDatabases.Project.MigrationsDirectory))
            File.Copy(file, Path.Combine(project.Layout.MigrationsDirectory, Path.GetFileName(file)));
        foreach (var file in Directory.EnumerateFiles(TestDatabases.Project.RollbacksDirectory))
            File.Copy(file, Path.Combine(project.Layout.RollbacksDirectory, Path.GetFileName(file)));
        return project;
    }

    public string AddMigration(string version, string name, string sql, string? rollback = null)
    {
        var fileName = $"{version}_{name}.sql";
        File.WriteAllText(Path.Combine(Layout.MigrationsDirectory, fileName), sql);
        if (rollback is not null) File.WriteAllText(Path.Combine(Layout.RollbacksDirectory, fileName), rollback);
        return Path.Combine(Layout.MigrationsDirectory, fileName);
    }

    public void Dispose()
    {
        if (Directory.Exists(Layout.Root)) Directory.Delete(Layout.Root, recursive: true);
    }
}
