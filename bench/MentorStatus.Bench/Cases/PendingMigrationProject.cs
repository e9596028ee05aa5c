using MentorStatus.Database;

namespace MentorStatus.Bench.Cases;

/// <summary>
/// A temp copy of the project's supabase/ folder with one more migration (and its rollback), so that a rehearsal of
/// the bench database has something pending, as in real use. The repo's own supabase/ is never written to.
/// </summary>
internal sealed class PendingMigrationProject : IDisposable
{
    public const string Version = "20991231000000";
    public const string Description = "an additive nullable column on public.mentor_status_reason_codes";

    private const string Migration = """
        -- bench only: one safe pending migration (a nullable column without a default is a catalog-only change)
        set lock_timeout = '5s';
        alter table public.mentor_status_reason_codes add column bench_note text;
        """;

    private const string Rollback = """
        set lock_timeout = '5s';
        alter table public.mentor_status_reason_codes drop column bench_note;
        """;

    private readonly DirectoryInfo _root;

    public ProjectLayout Layout { get; }

    private PendingMigrationProject(DirectoryInfo root)
    {
        _root = root;
        Layout = new ProjectLayout(root.FullName);
    }

    public static PendingMigrationProject Create(ProjectLayout project)
    {
        var root = Directory.CreateTempSubdirectory("mentorstatus-bench-pending-");
        var copy = new PendingMigrationProject(root);
        try
        {
            CopyFolder(project.SupabaseDirectory, copy.Layout.SupabaseDirectory);
            const string name = $"{Version}_bench_pending_nullable_column.sql";
            File.WriteAllText(Path.Combine(copy.Layout.MigrationsDirectory, name), Migration);
            File.WriteAllText(Path.Combine(copy.Layout.RollbacksDirectory, name), Rollback);
            return copy;
        }
        catch
        {
            copy.Dispose();
            throw;
        }
    }

    private static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        foreach (var folder in Directory.GetDirectories(from)) CopyFolder(folder, Path.Combine(to, Path.GetFileName(folder)));
    }

    public void Dispose() => _root.Delete(recursive: true);
}
