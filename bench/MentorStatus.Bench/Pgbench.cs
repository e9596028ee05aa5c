using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace MentorStatus.Bench;

/// <summary>Runs PostgreSQL's own pgbench (the installation's bin folder) against the bench cluster.</summary>
public sealed partial class Pgbench(string binDirectory, int port, string password)
{
    public string Program => Path.Combine(binDirectory, "pgbench");

    /// <summary><paramref name="CpuSeconds"/>: user + system CPU of the pgbench process itself (the client side).</summary>
    public sealed record Result(double Tps, double LatencyAverageMs, long Transactions, long Failed, double CpuSeconds, string Output);

    public async Task<Result> RunAsync(string database, IEnumerable<string> arguments, CancellationToken ct)
    {
        var (output, cpu) = await ExecWithCpuAsync(database, arguments, ct);
        var tps = TpsPattern().Match(output);
        var processed = ProcessedPattern().Match(output);
        // A short run on an overloaded machine may finish no transaction; pgbench then prints no tps line: a zero, not a failure.
        var none = processed.Success && processed.Groups[1].Value == "0";
        if (!tps.Success && !none) throw new InvalidOperationException($"pgbench printed no tps:\n{output}");
        var latency = LatencyPattern().Match(output);
        var failed = FailedPattern().Match(output);
        return new Result(
            tps.Success ? double.Parse(tps.Groups[1].Value, CultureInfo.InvariantCulture) : 0,
            latency.Success ? double.Parse(latency.Groups[1].Value, CultureInfo.InvariantCulture) : double.NaN,
            processed.Success ? long.Parse(processed.Groups[1].Value, CultureInfo.InvariantCulture) : 0,
            failed.Success ? long.Parse(failed.Groups[1].Value, CultureInfo.InvariantCulture) : 0,
            cpu, output);
    }

    public async Task<string> ExecAsync(string database, IEnumerable<string> arguments, CancellationToken ct) =>
        (await ExecWithCpuAsync(database, arguments, ct)).Output;

    private async Task<(string Output, double CpuSeconds)> ExecWithCpuAsync(string database, IEnumerable<string> arguments, CancellationToken ct)
    {
        var info = new ProcessStartInfo(Program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "-h", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture), "-U", "postgres" }.Concat(arguments).Append(database))
            info.ArgumentList.Add(a);
        info.Environment["PGPASSWORD"] = password;
        var children0 = ChildrenCpuSeconds();
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {Program}");
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        var cpu = ChildrenCpuSeconds() - children0; // the reaped pgbench: the only child that ended meanwhile
        var text = await stdout + await stderr;
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"pgbench {string.Join(' ', info.ArgumentList)} exited with {process.ExitCode}:\n{text}");
        return (text, cpu);
    }

    /// <summary>getrusage(RUSAGE_CHILDREN): user + system CPU of every child process reaped so far (Linux).</summary>
    private static double ChildrenCpuSeconds()
    {
        if (!OperatingSystem.IsLinux()) return double.NaN;
        var usage = new long[18];
        if (getrusage(-1, usage) != 0) return double.NaN;
        return usage[0] + usage[1] / 1e6 + usage[2] + usage[3] / 1e6;
    }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern int getrusage(int who, long[] usage);

    [GeneratedRegex(@"tps = ([0-9.]+) \(without initial connection time\)")]
    private static partial Regex TpsPattern();

    [GeneratedRegex(@"latency average = ([0-9.]+) ms")]
    private static partial Regex LatencyPattern();

    [GeneratedRegex(@"number of transactions actually processed: (\d+)")]
    private static partial Regex ProcessedPattern();

    [GeneratedRegex(@"number of failed transactions: (\d+)")]
    private static partial Regex FailedPattern();
}
