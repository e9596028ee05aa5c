namespace MentorStatus.Database;

/// <summary>Where the Supabase folder of a project lives, found from any directory inside it.</summary>
public sealed record ProjectLayout(string Root)
{
    public string SupabaseDirectory => Path.Combine(Root, "supabase");
    public string MigrationsDirectory => Path.Combine(SupabaseDirectory, "migrations");
    public string RollbacksDirectory => Path.Combine(SupabaseDirectory, "rollbacks");
    public string TestsDirectory => Path.Combine(SupabaseDirectory, "tests");
    public string SeedFile => Path.Combine(SupabaseDirectory, "seed.sql");
    /// <summary>Git-ignored home of the local cluster.</summary>
    public string LocalStateDirectory => Path.Combine(Root, ".mentorstatus");

    public string Display(string path) => Path.GetRelativePath(Root, path);

    /// <summary>Walks up from <paramref name="start"/> to the first folder that has supabase/config.toml.</summary>
    public static ProjectLayout Find(string? start = null)
    {
        var dir = new DirectoryInfo(start ?? Directory.GetCurrentDirectory());
        for (var d = dir; d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "supabase", "config.toml")))
                return new ProjectLayout(d.FullName);
        throw new DirectoryNotFoundException(
            $"no supabase/config.toml in {dir.FullName} or any parent folder; run the command inside the project, or pass --workdir PATH.");
    }
}
