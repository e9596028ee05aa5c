using System.Diagnostics;

namespace MentorStatus.Tests.Infrastructure;

/// <summary>Runs the real `mentorstatus` command line as a separate process, as a user would.</summary>
public static class CliRunner
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        /// <summary>Wall time from the start of the process to its exit (when the runner measured it).</summary>
        public TimeSpan Elapsed { get; init; }
    }

    public static Task<Result> RunAsync(string workdir, params string[] args) => RunAsync(workdir, new Dictionary<string, string>(), args);

    /// <summary>With these environment variables, e.g. MENTORSTATUS_DB_URL: a password there is not on the command line.</summary>
    public static async Task<Result> RunAsync(string workdir, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var info = StartInfo(workdir, args);
        foreach (var (k, v) in environment) info.Environment[k] = v;
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return new Result(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>
    /// The command line from its own build output (src/MentorStatus.Cli/bin/CONFIG/TFM), with its own
    /// dependencies: the copy in this test project's folder lacks the configuration packages, which the
    /// test project takes from the ASP.NET Core shared framework (Kestrel for the webhook tests) instead.
    /// </summary>
    private static string CliDll { get; } = FindCliDll();

    private static string FindCliDll()
    {
        var testBin = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var (tfm, configuration) = (testBin.Name, testBin.Parent!.Name);
        var own = Path.Combine(TestDatabases.Project.Root, "src", "MentorStatus.Cli", "bin", configuration, tfm, "mentorstatus.dll");
        return File.Exists(own) ? own : Path.Combine(AppContext.BaseDirectory, "mentorstatus.dll");
    }

    /// <summary>`dotnet mentorstatus.dll ARGS` in <paramref name="workdir"/>, output redirected, no colour,
    /// no database URL inherited from the environment.</summary>
    public static ProcessStartInfo StartInfo(string workdir, IEnumerable<string> args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workdir,
        };
        info.ArgumentList.Add(CliDll);
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment["NO_COLOR"] = "1";
        info.Environment.Remove("MENTORSTATUS_DB_URL");
        return info;
    }
}
