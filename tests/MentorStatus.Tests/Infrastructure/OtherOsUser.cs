using System.Diagnostics;

namespace MentorStatus.Tests.Infrastructure;

/// <summary>
/// Runs a program as another OS user of the machine (<c>nobody</c>, or <c>postgres</c>), as an attacker sharing the
/// machine would: through <c>runuser</c>, so the tests must run as root (CI and scripts/test.sh do). The environment
/// carries no password or passfile of ours unless the caller sets one.
/// </summary>
public static class OtherOsUser
{
    public sealed record Result(int ExitCode, string Output)
    {
        public bool Succeeded => ExitCode == 0;
    }

    public static async Task<Result> RunAsync(string user, string program, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        Assert.True(Environment.UserName == "root", "these attacks impersonate another OS user with runuser: run the tests as root");
        var info = new ProcessStartInfo("runuser") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = "/" };
        foreach (var a in (IEnumerable<string>)["-u", user, "--", program, .. arguments]) info.ArgumentList.Add(a);
        foreach (var name in new[] { "PGPASSWORD", "PGPASSFILE", "PGSERVICE", "PGHOST", "PGUSER", "MENTORSTATUS_DB_URL" }) info.Environment.Remove(name);
        info.Environment["PGPASSFILE"] = "/dev/null"; // not a ~/.pgpass of that user either
        info.Environment["PGCONNECT_TIMEOUT"] = "5";
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) info.Environment[k] = v;
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return new Result(process.ExitCode, (await stdout + await stderr).Trim());
    }

    /// <summary>psql as <paramref name="user"/>: <c>select 1</c> on host (a socket folder or 127.0.0.1) and port.</summary>
    public static Task<Result> PsqlAsync(string user, string host, int port, string? password = null, string database = "postgres") =>
        RunAsync(user, "psql", ["-h", host, "-p", port.ToString(CultureInfo.InvariantCulture), "-U", "postgres", "-d", database, "-w", "-Atc", "select 1"],
            password is null ? null : new Dictionary<string, string> { ["PGPASSWORD"] = password });

    /// <summary>Every folder under <paramref name="root"/> (itself included) that is not 0700, and every other entry with a group or other bit.</summary>
    public static IReadOnlyList<string> OpenEntries(string root)
    {
        if (OperatingSystem.IsWindows()) throw new PlatformNotSupportedException("Unix file modes");
        var open = new List<string>();
        const UnixFileMode groupOrOther = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
                                          UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;
        foreach (var path in Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories).Prepend(root))
        {
            var mode = File.GetUnixFileMode(path);
            if (Directory.Exists(path) ? mode != (UnixFileMode)0b111_000_000 : (mode & groupOrOther) != 0) open.Add($"{path} {Convert.ToString((int)mode, 8)}");
        }
        return open;
    }

    /// <summary>Every entry under <paramref name="root"/> (itself included) not owned by <paramref name="owner"/> (find ! -user).</summary>
    public static async Task<string> NotOwnedByAsync(string root, string owner)
    {
        var info = new ProcessStartInfo("find", [root, "!", "-user", owner]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(info)!;
        var output = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return output.Trim();
    }
}
