using System.Diagnostics;

namespace MentorStatus.Tests.Infrastructure;

/// <summary>Runs the real `mentorstatus` command line as a separate process, as a user would.</summary>
public static class CliRunner
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static async Task<Result> RunAsync(string workdir, params string[] args)
    {
        using var process = Process.Start(StartInfo(workdir, args))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return new Result(process.ExitCode, await stdout, await stderr);
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
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "mentorstatus.dll"));
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment["NO_COLOR"] = "1";
        info.Environment.Remove("MENTORSTATUS_DB_URL");
        return info;
    }
}
