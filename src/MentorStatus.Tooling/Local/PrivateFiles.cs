using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace MentorStatus.Tooling.Local;

/// <summary>
/// Folders and files of a cluster (and of the copy of production the rehearsal makes) that no other OS user may
/// read: folders 0700, files 0600, owned by the postgres OS user when we are root, and new folders under shared
/// places (the system temp folder) with unpredictable names, made in one step that fails if the name exists.
/// </summary>
internal static class PrivateFiles
{
    public const UnixFileMode FolderMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    public const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Creates the folder (and missing parents) 0700; an existing one is set to 0700.</summary>
    public static void CreateFolder(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
            return;
        }
        Directory.CreateDirectory(path, FolderMode);
        File.SetUnixFileMode(path, FolderMode);
    }

    /// <summary>Writes the file with mode 0600 from its creation on (an existing file is set to 0600 first).</summary>
    public static void Write(string path, string content)
    {
        if (!OperatingSystem.IsWindows() && File.Exists(path)) File.SetUnixFileMode(path, FileMode);
        var options = new FileStreamOptions { Mode = System.IO.FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = FileMode;
        using var writer = new StreamWriter(path, new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: false), options);
        writer.Write(content);
    }

    /// <summary>An empty file, 0600, for a tool to write into (pg_dump keeps the mode of a file that exists).</summary>
    public static string CreateEmpty(string path)
    {
        Write(path, "");
        return path;
    }

    /// <summary>
    /// A new folder <paramref name="prefix"/> + 16 random hex digits in <paramref name="parent"/>, 0700, made by
    /// mkdir(2), which fails when the name exists: a folder someone else made first is never used.
    /// </summary>
    public static string CreateUniqueFolder(string parent, string prefix)
    {
        for (var attempt = 0; ; attempt++)
        {
            var path = Path.Combine(Path.GetFullPath(parent), prefix + RandomNumberGenerator.GetHexString(16, lowercase: true));
            if (OperatingSystem.IsWindows())
            {
                if (Directory.Exists(path)) continue;
                Directory.CreateDirectory(path);
                return path;
            }
            if (mkdir(path, 0b111_000_000) == 0)
            {
                File.SetUnixFileMode(path, FolderMode); // whatever the umask took away
                return path;
            }
            var errno = Marshal.GetLastPInvokeError();
            if (errno != 17 /* EEXIST */ || attempt >= 10)
                throw new IOException($"could not create a private folder in {parent} (errno {errno}): check that it exists and is writable.");
        }
    }

    /// <summary>Gives the file or folder (recursively) to the postgres OS user when we are root; otherwise nothing to do.</summary>
    public static async Task GiveToPostgresAsync(string path, CancellationToken ct)
    {
        if (!OsProcess.IsRoot) return;
        var chown = await OsProcess.RunAsync("chown", ["-R", "postgres:postgres", path], false, ct);
        if (chown.ExitCode != 0) throw new LocalDatabaseException($"could not give {path} to the postgres user: {chown.Output}");
    }

    /// <summary>A real folder (no link), 0700, owned by us, by postgres or by root: no other user can have made or changed it.</summary>
    public static async Task<bool> IsOursAsync(string path, CancellationToken ct)
    {
        var info = new DirectoryInfo(path);
        if (!info.Exists || info.LinkTarget is not null) return false;
        if (OperatingSystem.IsWindows()) return true;
        if (info.UnixFileMode != FolderMode) return false;
        var owner = await OsProcess.RunAsync("stat", ["-c", "%U", path], false, ct);
        return owner.ExitCode == 0 && owner.Output.Trim() is var name && (name is "postgres" or "root" || name == Environment.UserName);
    }

    // on Unix the Ansi character set is UTF-8, the encoding of file names
    [DllImport("libc", SetLastError = true, CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    private static extern int mkdir(string path, uint mode);
}
