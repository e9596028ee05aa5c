using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace MentorStatus.Tooling.Local;

/// <summary>
/// Free loopback ports for throwaway servers (the test suite's clusters, the bench's, a rehearsal's copy, the test SMTP
/// and web servers). By default the kernel picks one, as <c>bind(0)</c> does. A machine that reserves ports for other
/// programs, or runs two checkouts' suites side by side, sets <see cref="RangeVariable"/> (<c>20000-20999</c>): every
/// port then comes from that range, tried from a random point so two runs rarely try the same one first.
/// </summary>
public static class FreePorts
{
    public const string RangeVariable = "MENTORSTATUS_TEST_PORTS";

    private static readonly object Gate = new();
    private static readonly HashSet<int> HandedOut = [];

    /// <summary>A port nothing listens on at 127.0.0.1 now, from <see cref="RangeVariable"/> when set.</summary>
    public static int Next() => Next(Environment.GetEnvironmentVariable(RangeVariable));

    /// <summary>Same, with the range given (null or empty: the kernel picks). Never hands out a port twice in a process
    /// while the range has others left, since a server may not have bound the first one yet.</summary>
    public static int Next(string? range)
    {
        if (ParseRange(range) is not var (low, high)) return KernelPick();
        var size = high - low + 1;
        lock (Gate)
        {
            var start = Random.Shared.Next(size);
            foreach (var pass in new[] { true, false }) // first pass skips ports this process handed out already
            {
                for (var i = 0; i < size; i++)
                {
                    var port = low + (start + i) % size;
                    if (pass && HandedOut.Contains(port)) continue;
                    if (!IsFree(port)) continue;
                    HandedOut.Add(port);
                    return port;
                }
            }
        }
        throw new LocalDatabaseException(
            $"no free port in {RangeVariable}={range}: every port from {low} to {high} is in use on 127.0.0.1.\n" +
            $"  fix: set {RangeVariable} to a larger or other range (e.g. {RangeVariable}=20000-20999), or unset it to let the system pick.");
    }

    /// <summary>The range in <paramref name="value"/> (<c>LOW-HIGH</c>, 1024 ≤ LOW ≤ HIGH ≤ 65535), or null when unset.</summary>
    public static (int Low, int High)? ParseRange(string? value)
    {
        if (string.IsNullOrWhiteSpace(value)) return null;
        var parts = value.Trim().Split('-');
        if (parts.Length == 2 &&
            int.TryParse(parts[0].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var low) &&
            int.TryParse(parts[1].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var high) &&
            low is >= 1024 and <= 65535 && high is >= 1024 and <= 65535 && low <= high)
            return (low, high);
        throw new LocalDatabaseException(
            $"{RangeVariable} must be a port range LOW-HIGH between 1024 and 65535, got \"{value}\".\n" +
            $"  fix: e.g. {RangeVariable}=20000-20999, or unset it to let the system pick free ports.");
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static int KernelPick()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0); // the kernel picks
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
